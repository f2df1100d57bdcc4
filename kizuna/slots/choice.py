"""Reading an applicant's reply for the slot it chooses: 「2番でお願いします」, 「②」, 「第一希望は3」,
「12月5日の10時」, and in English "Option 2", "option two", "the second one", "2nd please",
"Saturday 5 December at 10:00"; markup, quotes, addresses and signatures never choose."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Literal

from ..dates import CIRCLED
from ..i18n import _
from ..models import JST, Slot
from ..replytext import blank_addresses, reply_text

ChoiceStatus = Literal["chosen", "none", "ambiguous", "unavailable"]


# --------------------------------------------------------------------------------------------
# Reading a reply
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """What a reply chose among the offered slots.

    ``status`` is "chosen" (``slot`` and ``number`` set), "unavailable" (the applicant chose
    ``slot``, but it has been taken), "ambiguous" (it points at several slots, or contradicts
    itself) or "none" (it names no offered slot). ``preferences`` are the slot numbers named,
    in the applicant's order of preference. ``reason`` explains the outcome to the recruiter,
    in the language of the moment (``kizuna.i18n``).
    """

    slot: Slot | None
    number: int | None
    status: ChoiceStatus
    reason: str
    preferences: tuple[int, ...] = ()


@dataclass(frozen=True)
class _Ref:
    """One place in a reply that points at offered slots (which ones: ``numbers``)."""

    start: int
    end: int
    numbers: frozenset[int]
    label: str
    kind: Literal["number", "datetime", "date"]


_KANJI_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUM = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})"

_PREF = re.compile(rf"第\s*({_NUM})\s*(?:希望|候補|志望)")
_DATETIME = re.compile(
    r"(?<![\d/.])(?:(?:\d{4})\s*[/年.\-]\s*)?(?:(?P<month>\d{1,2})\s*(?:月|/)\s*)?"
    r"(?P<day>\d{1,2})(?P<nichi>\s*日)?"
    r"(?P<dow>\s*\(\s*[月火水木金土日](?:曜日?)?\s*\)|\s*[月火水木金土日]曜日?)?"
    r"(?P<sep>[\s、,のはに]*)"
    r"(?:(?P<ampm>午前|午後|夕方|夜|朝)\s*)?"
    r"(?P<hour>\d{1,2})\s*(?::\s*(?P<minute>\d{2})|時\s*(?:(?P<min2>\d{1,2})\s*分|(?P<half>半))?)"
)
_DATE = re.compile(
    r"(?<![\d/.])(?:(?:\d{4})\s*[/年.\-]\s*)?(?:(?P<month>\d{1,2})\s*(?:月|/)\s*)?"
    r"(?P<day>\d{1,2})(?P<nichi>\s*日)?"
    r"(?P<dow>\s*\(\s*[月火水木金土日](?:曜日?)?\s*\)|\s*[月火水木金土日]曜日?)?"
)
# Explicit slot numbers: 2番, 2番目, 二番目, 2つ目, (2) (also ② — see _clean), 候補2, No.2, #2.
# 番 followed by a digit or 地 is an address (芳町1番1号); kanji 一番 is also "most" (一番早い),
# so a kanji numeral needs 番目, つ目, or 番 followed by a particle.
_EXPLICIT = re.compile(
    r"(?<![\d\-/:.])(?P<n1>\d{1,2})\s*(?:番目|番(?![\d地])|つ目|個目|案)"
    r"|(?P<k1>[一二三四五六七八九十]{1,3})(?:番目|つ目|個目|番(?=[でをがにはの、。,!\s]|$))"
    r"|\((?P<n2>\d{1,2})\)"
    r"|(?:候補|案|No\.?|NO\.?|no\.?|#)\s*(?P<n3>\d{1,2})(?![\d\-/:.])"
)
# Counters and units: 2名, 2人, 3日, 10時, 2回, 4階 … never a slot number.
_COUNTER_AFTER = re.compile(
    r"\s*(?:名|人|日|月|年|時|分|秒|歳|才|回|件|枚|階|円|個|号|度|週|次|期|条|項|点|位|社|部|本|冊|"
    r"ヶ|か月|ケ月|カ月|箇|ページ|頁|番|丁目|km|kg|cm|mm|%)"
)
# A clause that turns a slot down: 1番は都合が悪く / 12月5日は難しい.
_NEGATIVE = re.compile(
    r"都合が(?:悪|つか|合わ)|難し|無理|不可|厳し|NG|ダメ|だめ|できません|出来ません|行けません|"
    r"伺えません|参加でき(?:ない|ず)|埋ま|塞が|予定が(?:あ|入)|避け|"
    # English: "option 1 doesn't work for me", "I can't make option 1", "1 is not possible".
    r"(?i:\b(?:do(?:es)?n'?t|does not|do not|won'?t|will not) (?:work|suit)|can'?t|cannot|can not|"
    r"unable|not (?:possible|available|convenient|good)|unavailable|impossible|no good|"
    r"won'?t be able|not make it|busy|clash)"
)
# "except option 1", "anything but 1", "not option 1": the mention that follows is turned down.
_NEGATIVE_BEFORE = re.compile(
    r"(?i:\b(?:except(?: for)?|apart from|other than|anything but|not|instead of|rather than))\s+"
    r"(?:for\s+|the\s+)?$"
)
# A telephone extension (「内線 3」, 「ext. 3」) in a signature is no slot number.
_EXTENSION = re.compile(r"(?:内線|ext\.?|extension)\s*(?:番号)?\s*[:.]?\s*\d+", re.IGNORECASE)
_ANY_SLOT = re.compile(
    r"(?:どれ|いずれ|どちら|どの|いつ)(?:の(?:日程|日時|時間|候補))?(?:で|に)?も\s*"
    r"(?:大丈夫|構いません|かまいません|結構|可能|OK|良|よ|い[いけ]|問題)"
    r"|(?i:\b(?:any|all|either|each)(?: one)?(?: of (?:them|these|those|the (?:times|options|dates|slots)))?"
    r"(?: (?:time|option|date|slot)s?)? (?:is|are|would be|will be|works?|suits?)"
    r"(?: \w+)? (?:fine|ok|okay|good|great|possible|work|suit)\b|\bi(?:'m| am) (?:completely )?flexible\b)"
)
# A clause ends at a full stop, a line break, ! or ?, 、 (but not before 第: 「第一希望は3、第二希望は1」),
# or an English full stop, comma or semicolon before a space.
_CLAUSE_END = re.compile(r"[。\n!?]|、(?!\s*第)|[.,;](?=\s)")

# --- English ---

_WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10}
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
             "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "last": -1}
_ORDINAL_WORD = r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last)"
_ORDINAL_DIGIT = r"(?:1st|2nd|3rd|[4-9]th|10th)"
_NUMBER_WORD = r"(?:one|two|three|four|five|six|seven|eight|nine|ten)"
_MONTHS_EN = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = (r"(?:january|february|march|april|may|june|july|august|september|october|november|"
          r"december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?")
_WEEKDAYS_EN = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY = (r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues|tue|wed|"
            r"thurs|thur|thu|fri|sat|sun)\.?")
_DAY = r"(?:the\s+)?(?P<{name}>\d{{1,2}})(?:st|nd|rd|th)?"
_DATE_EN = (
    rf"(?:(?P<dow>{_WEEKDAY}),?\s+)?(?:{_DAY.format(name='day')}(?:\s+of)?\s+(?P<month>{_MONTH})"
    rf"|(?P<month2>{_MONTH})\s+{_DAY.format(name='day2')}(?![\d:]))(?:,?\s+\d{{4}})?"
)
_TIME_EN = (r"(?P<hour>\d{1,2})(?:[:.](?P<minute>\d{2}))?\s*(?P<ampm>a\.?m\.?|p\.?m\.?)?"
            r"(?![\w])")
# "Saturday 5 December at 10:00", "5 Dec, 10am", "December 5th at 6 p.m.".
_DATETIME_EN_RE = re.compile(rf"(?<![\w]){_DATE_EN}[\s,]*(?:(?:at|from)\s+)?{_TIME_EN}", re.IGNORECASE)
# "Wednesday at 18:00", "Saturday 10am".
_WEEKDAY_TIME_EN_RE = re.compile(
    rf"(?<![\w])(?:on\s+)?(?P<dow>{_WEEKDAY}),?\s+(?:(?:at|from)\s+)?{_TIME_EN}", re.IGNORECASE,
)
_DATE_EN_RE = re.compile(rf"(?<![\w]){_DATE_EN}(?![\w])", re.IGNORECASE)
# "Option 2", "option two", "choice #3", "slot 1", "number 2"; "the second one", "the 2nd
# option", "2nd please", "the last one".
_EXPLICIT_EN = re.compile(
    rf"\b(?:options?|choices?|slots?|numbers?|times?|dates?)\s*(?:no\.?\s*)?#?\s*(?P<n>\d{{1,2}}|{_NUMBER_WORD})(?![\w:/])"
    rf"|\b(?:the\s+|my\s+)?(?P<o1>{_ORDINAL_WORD}|{_ORDINAL_DIGIT})\s+(?:one|option|choice|slot|time|date)s?\b"
    rf"|\bthe\s+(?P<o2>{_ORDINAL_WORD}|{_ORDINAL_DIGIT})(?=\s*(?:[.,!?)]|$|please|thanks|thank|works|is|would|if|or\b))"
    rf"|(?<![\w])(?P<o3>{_ORDINAL_DIGIT})(?=\s*(?:[.,!?)]|$|please|thanks|thank|works|is|would|if|option|one))"
    # "option two or three": a number word after "or"/"and" names an option too.
    r"|\b(?:or|and)\s+(?P<n2>two|three|four|five|six|seven|eight|nine|ten)\b(?!\s+(?:people|persons|hours|minutes|days|weeks|times))",
    re.IGNORECASE | re.MULTILINE,
)
# English preference markers: "first choice", "my second preference".
_PREF_EN = re.compile(
    rf"\b(?P<rank>{_ORDINAL_WORD}|{_ORDINAL_DIGIT})\s+(?:choice|preference)\b", re.IGNORECASE,
)
# Counters after an English number: 2 people, 3 hours, 10 minutes, 2pm … never a slot number.
_COUNTER_AFTER_EN = re.compile(
    r"\s*(?:people|persons?|hours?|hrs?|minutes?|mins?|days?|weeks?|months?|years?|times|"
    r"a\.?m\.?|p\.?m\.?|o'clock|floors?|km|kilometres?|miles?|children|kids|st|nd|rd|th)\b",
    re.IGNORECASE,
)


def _english_number(text: str) -> int | None:
    """2, "two", "2nd", "second" → 2; "last" → -1; None for anything else."""
    word = text.lower()
    if word.isdigit():
        return int(word)
    if word in _WORD_NUMBERS:
        return _WORD_NUMBERS[word]
    if word in _ORDINALS:
        return _ORDINALS[word]
    digits = word[:-2]
    return int(digits) if digits.isdigit() else None


def _month_of(word: str) -> int:
    return _MONTHS_EN.index(word.lower()[:3]) + 1


def _english_hour(raw: str, ampm: str | None) -> int:
    hour = int(raw)
    marker = (ampm or "").lower().replace(".", "")
    if marker == "pm" and hour < 12:
        hour += 12
    elif marker == "am" and hour == 12:
        hour = 0
    return hour


def _kanji_number(text: str) -> int | None:
    """二 → 2, 十二 → 12; None for anything that is not a simple numeral up to 99."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens_text, _, units_text = text.partition("十")
        tens = _KANJI_DIGITS.get(tens_text, 0) if tens_text else 1
        units = _KANJI_DIGITS.get(units_text, 0) if units_text else 0
        if (tens_text and not tens) or (units_text and not units):
            return None
        return tens * 10 + units
    return _KANJI_DIGITS.get(text) if len(text) == 1 else None


_CIRCLED_FORMS = (
    CIRCLED,
    "❶❷❸❹❺❻❼❽❾❿",  # negative circled digits (no NFKC form)
    "➀➁➂➃➄➅➆➇➈➉",  # dingbat circled digits
    "⓵⓶⓷⓸⓹⓺⓻⓼⓽⓾",  # double circled digits
)


def _clean(text: str) -> str:
    """The applicant's own words (replytext.reply_text: no HTML, quotes, signature, URLs or
    mail addresses), with ① → (1) and NFKC (２ → 2, （ → ()."""
    text = reply_text(text)
    for forms in _CIRCLED_FORMS:
        for i, ch in enumerate(forms, start=1):
            text = text.replace(ch, f"({i})")
    # Once more after NFKC: ｔａｒｏ．ｎｏ３＠ｅｘａｍｐｌｅ．ｊｐ is an address only now.
    return blank_addresses(unicodedata.normalize("NFKC", text))


def _hour(raw: str, ampm: str | None) -> int:
    hour = int(raw)
    if ampm in ("午後", "夕方", "夜") and hour < 12:
        hour += 12
    return hour


def _find_refs(text: str, offered: Sequence[Slot], masked: list[tuple[int, int]]) -> list[_Ref]:
    """Every mention of a slot in the text, by date and time, by date alone, or by number."""
    starts = [s.start.astimezone(JST) for s in offered]
    n = len(offered)
    refs: list[_Ref] = []

    def free(a: int, b: int) -> bool:
        return all(b <= m0 or a >= m1 for m0, m1 in masked)

    refs += _find_refs_en(text, starts, masked, free)

    for m in _DATETIME.finditer(text):
        if not free(m.start(), m.end()):
            continue
        month = int(m["month"]) if m["month"] else None
        day = int(m["day"])
        # "5 10:00" is no date: a day needs 日, a month, or a weekday beside it.
        if not (m["nichi"] or month or m["dow"]):
            continue
        if not m["nichi"] and not month and not m["sep"]:
            continue
        hour = _hour(m["hour"], m["ampm"])
        minute = int(m["minute"] or m["min2"] or (30 if m["half"] else 0))
        numbers = frozenset(
            i + 1 for i, s in enumerate(starts)
            if s.day == day and (month is None or s.month == month)
            and s.hour == hour and s.minute == minute
        )
        label = f"{month or '?'}/{day} {hour}:{minute:02d}"
        refs.append(_Ref(m.start(), m.end(), numbers, label, "datetime"))
        masked.append((m.start(), m.end()))

    for m in _DATE.finditer(text):
        if not free(m.start(), m.end()):
            continue
        month = int(m["month"]) if m["month"] else None
        day = int(m["day"])
        # A date alone must look like one: 12月5日, 5日(土), 12/5 (not "3日間" or "2日前").
        slash = month is not None and not m["nichi"]
        if not ((m["nichi"] and (month or m["dow"])) or slash):
            continue
        if re.match(r"\s*(?:間|前|後|以内|ほど|程度)", text[m.end():]):
            continue
        numbers = frozenset(
            i + 1 for i, s in enumerate(starts)
            if s.day == day and (month is None or s.month == month)
        )
        refs.append(_Ref(m.start(), m.end(), numbers, f"{month or '?'}/{day}", "date"))
        masked.append((m.start(), m.end()))

    for m in _EXPLICIT.finditer(text):
        if not free(m.start(), m.end()):
            continue
        value = _kanji_number(m["n1"] or m["k1"] or m["n2"] or m["n3"])
        if value is None:
            continue
        numbers = frozenset({value}) if 1 <= value <= n else frozenset()
        refs.append(_Ref(m.start(), m.end(), numbers, _("number {value}").format(value=value), "number"))
        masked.append((m.start(), m.end()))

    for m in re.finditer(r"\d+", text):
        if not free(m.start(), m.end()) or not _bare_number(text, m.start(), m.end()):
            continue
        value = int(m.group(0))
        if not 1 <= value <= n:
            # A stray out-of-range number in running text is noise, unless it is all there is.
            if text.strip() == m.group(0):
                refs.append(_Ref(m.start(), m.end(), frozenset(), _("number {value}").format(value=value), "number"))
            continue
        refs.append(_Ref(m.start(), m.end(), frozenset({value}), _("number {value}").format(value=value), "number"))
        masked.append((m.start(), m.end()))
    return sorted(refs, key=lambda r: r.start)


def _find_refs_en(
    text: str, starts: Sequence[dt.datetime], masked: list[tuple[int, int]],
    free: Callable[[int, int], bool],
) -> list[_Ref]:
    """The mentions of a slot an English reply makes: a date and time, a weekday and time, a
    date alone, or an option by number or ordinal ("Option 2", "the second one")."""
    n = len(starts)
    refs: list[_Ref] = []

    def add(m: re.Match[str], numbers: frozenset[int], label: str,
            kind: Literal["number", "datetime", "date"]) -> None:
        refs.append(_Ref(m.start(), m.end(), numbers, label, kind))
        masked.append((m.start(), m.end()))

    def dated(m: re.Match[str]) -> tuple[int | None, int, int | None]:
        month_word = m["month"] or m["month2"]
        day = int(m["day"] or m["day2"])
        return (_month_of(month_word) if month_word else None), day, (
            _WEEKDAYS_EN.index(m["dow"].lower()[:3]) if m["dow"] else None)

    for m in _DATETIME_EN_RE.finditer(text):
        # A time needs its minutes or am/pm: "5 December 2" is no time.
        if not free(m.start(), m.end()) or not (m["minute"] or m["ampm"]):
            continue
        month, day, _ = dated(m)
        hour = _english_hour(m["hour"], m["ampm"])
        minute = int(m["minute"] or 0)
        numbers = frozenset(i + 1 for i, s in enumerate(starts)
                            if s.day == day and s.month == month and s.hour == hour and s.minute == minute)
        add(m, numbers, f"{month}/{day} {hour}:{minute:02d}", "datetime")
    for m in _WEEKDAY_TIME_EN_RE.finditer(text):
        if not free(m.start(), m.end()) or not (m["minute"] or m["ampm"]):
            continue
        weekday = _WEEKDAYS_EN.index(m["dow"].lower()[:3])
        hour = _english_hour(m["hour"], m["ampm"])
        minute = int(m["minute"] or 0)
        numbers = frozenset(i + 1 for i, s in enumerate(starts)
                            if s.weekday() == weekday and s.hour == hour and s.minute == minute)
        add(m, numbers, f"{m['dow']} {hour}:{minute:02d}", "datetime")
    for m in _DATE_EN_RE.finditer(text):
        if not free(m.start(), m.end()):
            continue
        month, day, _ = dated(m)
        numbers = frozenset(i + 1 for i, s in enumerate(starts) if s.day == day and s.month == month)
        add(m, numbers, f"{month}/{day}", "date")
    for m in _EXPLICIT_EN.finditer(text):
        if not free(m.start(), m.end()):
            continue
        value = _english_number(m["n"] or m["o1"] or m["o2"] or m["o3"] or m["n2"])
        if value is None:
            continue
        if value == -1:  # "the last one"
            value = n
        numbers = frozenset({value}) if 1 <= value <= n else frozenset()
        add(m, numbers, f"number {value}", "number")
    return refs


def _bare_number(text: str, start: int, end: int) -> bool:
    """A number on its own (「2でお願いします」, 「:2」), not part of a phone number, a postcode,
    a date, an address, an e-mail address or a count."""
    if end - start > 2:
        return False
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    if before and (before.isascii() and (before.isalnum() or before in "-/._+#$")
                   or before in "〒第"):
        return False
    # ":2" is a choice (第1希望:2), ":05" is minutes.
    if before == ":" and end - start > 1:
        return False
    if after and (after.isascii() and (after.isalnum() or after in "-/:.,_@%")):
        return False
    return not _COUNTER_AFTER.match(text, end) and not _COUNTER_AFTER_EN.match(text, end)


def _declined(text: str, ref: _Ref) -> bool:
    """True when the clause after a mention turns it down (「1番は都合が悪く」, 「3番以外で」),
    but not 「2番以外は難しい」, which means only 2 will do."""
    if _NEGATIVE_BEFORE.search(text, max(0, ref.start - 24), ref.start):
        return True
    rest = text[ref.end:]
    stop = _CLAUSE_END.search(rest)
    clause = rest[: stop.start()] if stop else rest
    if re.match(r"\s*以外", clause):
        return not _NEGATIVE.search(clause[:24])
    return bool(_NEGATIVE.search(clause[:20]))


def _describe(number: int, offered: Sequence[Slot]) -> str:
    slot = offered[number - 1]
    return _("slot {number} ({start})").format(
        number=number, start=f"{slot.start.astimezone(JST):%Y-%m-%d %H:%M}")


def parse_choice(
    text: str, offered: Sequence[Slot], *, unavailable: Collection[dt.datetime] = ()
) -> Choice:
    """Find which offered slot (numbered from 1, in offer order) a reply chooses.

    Understands 「2番でお願いします」, 「２」, 「②」, 「二番目」, 「(2)」, 「第一希望は3、第二希望は1」
    (the first preference still free wins), 「12月5日の10時」 and 「5日(土)10:00」, and in English
    "Option 2", "option two", "the second one", "2nd please", "I'd like #2", "my first choice is
    option 3", "Saturday 5 December at 10:00" and "Wednesday at 6pm". Only what the
    applicant wrote is read (replytext.reply_text): HTML is made plain, and quoted lines, quote
    headers and the quote below them, the signature, URLs and mail addresses are left out.
    It never guesses: phone numbers, extensions (「内線 3」), postcodes, counts (「2名で伺います」,
    "2 people"),
    a date that fits several slots, a number out of range, or two different slots with no order
    give "none" or "ambiguous", with the reason.
    """
    if not offered:
        return Choice(None, None, "none", _("No slots are on offer to this applicant."))
    clean = _clean(text)
    n = len(offered)
    blocked = {u.astimezone(JST) for u in unavailable}
    masked: list[tuple[int, int]] = [m.span() for m in _EXTENSION.finditer(clean)]

    markers: list[tuple[int, int, int]] = []  # (start, end, rank)
    for m in _PREF.finditer(clean):
        rank = _kanji_number(m.group(1))
        if rank is not None:
            markers.append((m.start(), m.end(), rank))
            masked.append((m.start(), m.end()))
    for m in _PREF_EN.finditer(clean):
        rank = _english_number(m["rank"])
        if rank is not None and rank > 0:
            markers.append((m.start(), m.end(), rank))
            masked.append((m.start(), m.end()))
    markers.sort()

    refs = [r for r in _find_refs(clean, offered, masked) if not _declined(clean, r)]

    if markers:
        return _by_preference(clean, offered, refs, markers, blocked)

    definite = sorted({next(iter(r.numbers)) for r in refs if len(r.numbers) == 1})
    several = [r for r in refs if len(r.numbers) > 1]
    nowhere = [r for r in refs if not r.numbers and r.kind != "date"]
    if len(definite) == 1 and not nowhere:
        number = definite[0]
        if any(number not in r.numbers for r in several):
            return Choice(
                None, None, "ambiguous",
                _("The reply names {slot} but also a date that does not match it; ask the "
                  "applicant to confirm.").format(slot=_describe(number, offered)),
                (number,),
            )
        return _settle(offered, (number,), blocked)
    if len(definite) > 1:
        listed = _(", ").join(str(x) for x in definite)
        return Choice(
            None, None, "ambiguous",
            _("The reply names several slots ({numbers}) without saying which is preferred; "
              "ask the applicant to choose one.").format(numbers=listed),
            tuple(definite),
        )
    if definite and nowhere:
        return Choice(
            None, None, "ambiguous",
            _("The reply names {slot} but also {other}, which was not offered; ask the "
              "applicant to confirm.").format(slot=_describe(definite[0], offered),
                                              other=nowhere[0].label),
            tuple(definite),
        )
    if several:
        listed = _(", ").join(str(x) for x in sorted(several[0].numbers))
        return Choice(
            None, None, "ambiguous",
            _("The date {date} fits several offered slots ({numbers}) and no time is given; "
              "ask the applicant which one.").format(date=several[0].label, numbers=listed),
        )
    if nowhere:
        ref = nowhere[0]
        what = (
            _("{label} is not one of the {n} offered slots").format(label=ref.label, n=n)
            if ref.kind == "number"
            else _("{label} was not among the offered times").format(label=ref.label)
        )
        return Choice(None, None, "none",
                      _("The reply names no offered slot: {what}.").format(what=what))
    if _ANY_SLOT.search(clean):
        return Choice(
            None, None, "ambiguous",
            _("The applicant says any slot is fine; pick one and confirm it with them."),
        )
    return Choice(
        None, None, "none",
        _("No slot number (1-{n}) or offered date and time was found in the reply.").format(n=n),
    )


def _by_preference(
    text: str,
    offered: Sequence[Slot],
    refs: list[_Ref],
    markers: list[tuple[int, int, int]],
    blocked: set[dt.datetime],
) -> Choice:
    """「第一希望は3、第二希望は1」 and 「3番を第一希望、1番を第二希望」: ranked choices."""
    ranked: dict[int, _Ref] = {}
    used: set[int] = set()
    bounds = [m[0] for m in markers[1:]] + [len(text)]
    for (start, end, rank), limit in zip(markers, bounds, strict=True):
        stop = _CLAUSE_END.search(text, end)
        clause_end = min(limit, stop.start() if stop else len(text))
        after = [r for r in refs if end <= r.start < clause_end and id(r) not in used]
        if after:
            ref = after[0]
        else:
            # 「3番を第一希望」: the mention sits just before the marker.
            before = [r for r in refs if r.end <= start and id(r) not in used
                      and _BEFORE_MARKER.fullmatch(text[r.end:start])]
            if not before:
                continue
            ref = before[-1]
        used.add(id(ref))
        if rank in ranked:
            return Choice(None, None, "ambiguous",
                          _("The reply gives two slots for preference {rank}.").format(rank=rank))
        ranked[rank] = ref
    if not ranked and len(markers) == 1 and not refs and 1 <= markers[0][2] <= len(offered):
        # 「第二希望でお願いします」 alone, answering a numbered list: the list's second option
        # (as 「第2候補で」 would be). With anything else in the reply it stays ambiguous.
        return _settle(offered, (markers[0][2],), blocked)
    if not ranked:
        return Choice(
            None, None, "ambiguous",
            _("The reply gives a preference rank (first or second choice) but no slot number "
              "or date; ask the applicant which slot they mean."),
        )
    preferences: list[int] = []
    for rank in sorted(ranked):
        ref = ranked[rank]
        if len(ref.numbers) != 1:
            why = (
                _("Preference {rank} ({label}) fits several offered slots; ask the applicant to "
                  "confirm.") if ref.numbers
                else _("Preference {rank} ({label}) is not one of the offered slots; ask the "
                       "applicant to confirm.")
            )
            return Choice(None, None, "ambiguous", why.format(rank=rank, label=ref.label))
        number = next(iter(ref.numbers))
        if number not in preferences:
            preferences.append(number)
    return _settle(offered, tuple(preferences), blocked)


# What may stand between a mention and the rank after it: 「3番を第一希望」, "Option 3 as my
# first choice", "option 3 is my first choice".
_BEFORE_MARKER = re.compile(r"[\sをがはで、,]*(?:(?i:is|as|would be|=|:)\s*(?:(?i:my|the)\s+)?)?")


def _settle(offered: Sequence[Slot], preferences: tuple[int, ...], blocked: set[dt.datetime]) -> Choice:
    """The first preferred slot that is still free, or "unavailable" when none is."""
    for rank, number in enumerate(preferences, start=1):
        slot = offered[number - 1]
        if slot.start.astimezone(JST) in blocked:
            continue
        if rank > 1:
            taken = _(", ").join(str(x) for x in preferences[: rank - 1])
            why = _("Chose {slot}, preference {rank}; the earlier preference ({taken}) is "
                    "taken.").format(slot=_describe(number, offered), rank=rank, taken=taken)
        else:
            why = _("Chose {slot}.").format(slot=_describe(number, offered))
        return Choice(slot, number, "chosen", why, preferences)
    first = preferences[0]
    listed = _(", ").join(str(x) for x in preferences)
    return Choice(
        offered[first - 1], first, "unavailable",
        _("The applicant chose slot {numbers}, but it has been taken by someone else; offer "
          "other slots.").format(numbers=listed),
        preferences,
    )
