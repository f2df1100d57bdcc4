"""kizuna check: the rules a draft must pass before it leaves the office.

Recruiters edit drafts by hand, paste them into job-site forms and write their own templates;
the classic disasters of applicant mail are all human (another applicant's name, a weekday
that does not match its date, 明日 that is not tomorrow, a festival in a rejection, 内定 in a
public employer's pass notice, a leftover 〇〇). Each rule (``kizuna.check_rules``) finds one
of them, with the line and column, the text found and a suggestion.

The checker knows the applicant, the send date, the calendar and the tone of each kind; what
only the log knows (other applicants' names, the applicant's booking) is given by the caller
(``kizuna.pipeline.check_drafts``, ``draft_output``, the batch run).

Lines and columns count in the text as checked: a message (a draft from the composer, a JSON
draft, an .eml, a draft in the log) is checked as ``kizuna draft`` prints it, 件名 on line 1 and
the body from line 3; a text file as it is. Columns count characters, from 1.

The applicant's name is data, never template text: the rules run on the text with the name
replaced by a stand-in (so a name such as 花火 or 明日香 is not a festival or a relative date),
and the name itself is checked on its own for leftovers and characters the charset cannot
carry. The text without the name is the same for a whole batch of one kind and result (the
composer renders it once per combination), so its findings are kept and reused: a batch of
thousands checks each combination once and each name once.
"""

from __future__ import annotations

import bisect
import datetime as dt
import email.parser
import email.policy
import itertools
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .calendar import holiday_name
from .check_rules import RULES, CheckSettings, Severity
from .dates import WEEKDAYS_JA
from .errors import InputError
from .i18n import N_, _, language
from .kinds import KINDS
from .models import JST, Candidate, Message, Slot, Topic
from .output.charset import scan_iso2022jp
from .profile import PerProfile, Profile

__all__ = [
    "Checked",
    "Checker",
    "DraftText",
    "Finding",
    "check_message",
    "check_text",
    "checker_for",
    "message_text",
    "read_drafts",
]

CHARSETS = ("utf-8", "iso-2022-jp")
MAX_LINE_OCTETS = 998  # RFC 5322 §2.1.1


@dataclass(frozen=True)
class Finding:
    """One problem in a draft: which rule, how bad, where (line and column from 1, in
    characters), the text found, what is wrong and what to write instead."""

    rule: str
    severity: Severity
    line: int
    column: int
    text: str
    message: str
    suggestion: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule, "severity": self.severity, "line": self.line,
            "column": self.column, "text": self.text, "message": self.message,
            "suggestion": self.suggestion,
        }

    def __str__(self) -> str:
        severity = _("error") if self.severity == "error" else _("warning")
        text = f"{self.line}:{self.column}: {severity} {self.rule}: {self.message}"
        if self.text:
            text += f" 「{self.text}」"
        if self.suggestion:
            text += f" → {self.suggestion}"
        return text


@dataclass(frozen=True)
class Checked:
    """The findings of one draft, and where it came from (a file, '-', an exchange)."""

    source: str
    findings: tuple[Finding, ...]
    exchange_id: int | None = None

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "exchange_id": self.exchange_id,
            "errors": len(self.errors), "warnings": len(self.warnings),
            "findings": [f.to_dict() for f in self.findings],
        }


def message_text(message: Message) -> str:
    """The draft as it is checked and as ``kizuna draft`` prints it (``output.as_text``)."""
    head = "Subject: " if message.language == "en" else "件名："
    return f"{head}{message.subject}\n\n{message.body}"


# ---------------------------------------------------------------------------------------------
# Characters and patterns

# The stand-ins for the applicant's full name and, where it stands before an honorific (the
# body's 山田様), their family name: private-use characters no rule matches. A batch's texts
# differ only there, so the findings of the text with the stand-ins are kept and reused.
MARK = "\ue010"
FAMILY_MARK = "\ue011"
_STAND_INS = MARK + FAMILY_MARK
_HONORIFICS = ("様", "さま", "さん")
_FULLWIDTH = str.maketrans("０１２３４５６７８９：／", "0123456789:/")
_SPACES = " \u3000"
_KANJI = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆ヶ"
_KATAKANA = "\u30a1-\u30fa\u30fc"
_NAME_CHAR = re.compile(f"[{_KANJI}{_KATAKANA}{_STAND_INS}]")
_SENTENCE_END = "。！？!?\n"

_DATE = re.compile(
    r"(?<!\d)(?:(?P<era>令和|平成|昭和)[ 　]*(?P<ey>元|\d{1,2})[ 　]*年[ 　]*|(?P<y>\d{4})[ 　]*年[ 　]*)?"
    r"(?P<m>\d{1,2})[ 　]*月[ 　]*(?P<d>\d{1,2})[ 　]*日"
    r"|(?<![\d/])(?P<sy>\d{4})/(?P<sm>\d{1,2})/(?P<sd>\d{1,2})(?![\d/])"
    r"|(?<![\d/])(?P<qm>\d{1,2})/(?P<qd>\d{1,2})(?![\d/])(?=[ 　]*[（(][ 　]*[月火水木金土日])"
    r"|(?<![\d-])(?P<iy>(?:19|20)\d\d|2100)-(?P<im>\d\d)-(?P<id>\d\d)(?![\d-])"
)
_WEEKDAY = re.compile(
    r"[ 　]*[（(][ 　]*(?P<wd>[月火水木金土日])(?:曜日|曜)?[ 　]*(?:[・･、,/][ 　]*(?:祝|祭|休)日?[ 　]*)?[)）]"
    r"|[ 　]*(?P<wd2>[月火水木金土日])曜日"
)
_TIME = re.compile(r"(?:[ 　]|の)*(?:(?:午前|午後)[ 　]*)?\d{1,2}[ 　]*(?::[ 　]*\d\d|時)")
_UNTIL = re.compile(
    r"[ 　]*(?:[（(][^）)\n]{0,12}[）)])?[ 　]*(?:\d{1,2}:\d\d|\d{1,2}時(?:\d{1,2}分)?|正午)?"
    r"[ 　]*(?:〜|～)?[ 　]*(?:まで|迄)"
)
_DEADLINE_BEFORE = re.compile(r"(?:締切|締め切り|〆切|期限|期日)[^。\n]{0,6}$")
_PAST_MARKERS = re.compile(r"先日|先般|過日|昨日|前回|先週|先月|昨年|去る")
_ERA_OFFSET = {"令和": 2018, "平成": 1988, "昭和": 1925}
_WEEKDAY_EN = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"),
               N_("Saturday"), N_("Sunday"))

_RELATIVE = re.compile(r"明後日|あさって|明日|あした|本日|今日")
_RELATIVE_DAYS = {"明後日": 2, "あさって": 2, "明日": 1, "あした": 1, "本日": 0, "今日": 0}
# What may stand between 明日 and the date it names: 明日（12月5日）, 明日の12月5日, 12月5日（明日）.
_JOINERS_AFTER = frozenset(" \u3000（(、のは：:")
_JOINERS_BEFORE = frozenset(" \u3000（(、")
_INTERVIEW_WORDS = re.compile(r"面接|試験|面談|お話し|お会い|お越し|ご来庁|ご来社|接続|ご入室|当日")

_NOT_PASSED = re.compile(r"[添沿]いかねる|見送らせて|不採用|不合格|ご縁がなかった|ご期待に[添沿]え")
_PASS_WORDS = re.compile(r"合格|通過")
_FESTIVAL = re.compile(
    r"祭り|まつり|祭典|フェスティバル|花火|イベント|見頃|見ごろ|観光|名所|名物|グルメ|特産"
    r"|キャンペーン|ぜひ(?:一度)?お越し|遊びに"
)
_CHEER = re.compile(
    r"おめでとう|お祝い|祝福|嬉し|うれし|喜ばし|楽しみ|たのしみ|心待ち|ワクワク|わくわく|ドキドキ"
    r"|素晴らしい|すばらしい|最高|頑張って|がんばって|ファイト|[♪☆★♡♥]|[（(]笑[）)]"
    "|[\U0001f300-\U0001faff]"
)
_EXCLAMATION = re.compile(r"[！!‼❗❕]+")
_NAITEI = re.compile(r"内々?定")
_NAITEI_LATER = re.compile(
    r"あらためて|改めて|後日|追って|別途|今後|予定|のちほど|後ほど|以降|ではありません|ではございません|ではなく"
)
_GOKAKU = re.compile(r"(?<!不)合格")
_FINAL_PASS = re.compile(r"最終合格")

_DOUBLE = (
    (re.compile(r"おっしゃられ|仰られ"), N_("おっしゃる (おっしゃられる is 二重敬語)")),
    (re.compile(f"[おご御][ぁ-ん{_KANJI}]{{1,6}}?になられ"), N_("お〜になる (お〜になられる is 二重敬語)")),
    (re.compile(r"(?:拝見|拝読|拝聴|拝借|拝受)させていただ"), "拝見します / 拝見いたします"),
    (re.compile(r"(?:お伺い|伺わ)させていただ"), "伺います"),
    (re.compile(r"申し上げさせていただ"), "申し上げます"),
    (re.compile(f"ご[{_KANJI}]{{2,3}}され(?=[るたてまずれ])"),
     N_("ご〜になる, or 〜される without ご (ご〜される mixes humble and respectful forms)")),
)
_RYOKAI = re.compile(r"了解(?:しました|いたしました|致しました|です|しております)")
_MISUSE = (
    (re.compile(r"ご苦労(?:様|さま)"), N_("お疲れさまです / ありがとうございます (ご苦労様 is said to subordinates)")),
    (re.compile(r"よろしかったでしょうか"), "よろしいでしょうか"),
    (re.compile(f"[おご][{_KANJI}]{{1,4}}して(?:ください|下さい)"), N_("ご〜ください (e.g. ご確認ください)")),
    (re.compile(r"お(?:体|身体|からだ)を?ご自愛"), N_("ご自愛ください (ご自愛 already means one's health)")),
    (re.compile(r"各位様"), N_("各位 (各位 is already an honorific)")),
    (re.compile(r"申され"), N_("おっしゃる (申す is humble)")),
    (re.compile(r"参られ|伺われ"), N_("いらっしゃる / お越しになる (参る and 伺う are humble)")),
    (re.compile(r"拝見(?:して)?(?:ください|下さい)"), N_("ご覧ください (拝見 is humble)")),
    (re.compile(r"伺って(?:ください|下さい)"), N_("お尋ねください (伺う is humble)")),
)
# The suggestions above that carry an explanation are marked for the catalog (N_) and
# translated where a finding is made; the others are Japanese to write, the same everywhere.
_POLITE_END = re.compile(r"(?:です|ます|でした|ました|ません|ございます|ください|ませ)(?=[。！？!?」]|[ 　]*$)", re.M)
_PLAIN_END = re.compile(r"(?:である|であった|であろう|だった|だろう|のだ|(?<=[^ぁ-んー\s])だ)(?=[。！？!?]|[ 　]*$)", re.M)

_TEMPLATE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|\{\{|\}\}|\{%|%\}|\{#|#\}|\$\{[^}\n]*\}")
_PLACEHOLDER = re.compile(
    r"(?<![一二三四五六七八九十百千〇○◯])[〇○◯]{2,}"
    r"|(?<![一二三四五六七八九十百千〇○◯\d])[〇○◯](?=[年月日時分様])"
    r"|[×✕✖]{2,}|(?<![A-Za-z0-9])(?:XX+|xx+)(?![A-Za-z0-9])|[ＸＸｘ]{2,}"
    r"|(?<![A-Za-z0-9])[XxＸｘ](?=[年月日時分様])"
    r"|[△▲]{2,}|□{2,}|[＊*]{2,}|●{2,}"
)
_TODO = re.compile(r"(?<![A-Za-z0-9])(?:TODO|ToDo|FIXME|TBD)(?![A-Za-z0-9])|要確認|要修正")
_EMPTY_BRACKETS = re.compile(
    r"「[ 　]*」|『[ 　]*』|（[ 　]*）|\([ 　]*\)|【[ 　]*】|［[ 　]*］|\[[ 　]*\]|〔[ 　]*〕"
    r"|〈[ 　]*〉|《[ 　]*》|“[ 　]*”"
)
_HALFWIDTH_KANA = re.compile("[\uff61-\uff9f]+")
_BAD_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f\ufffd\ud800-\udfff]")

# Words before 様 that are not a person's name.
_NOT_NAMES = frozenset({
    "皆", "皆々", "各位", "王", "神", "仏", "殿", "奥", "客", "家族", "本人", "先方", "貴殿", "同",
    "他", "相手", "方々", "旦那", "ユーザー", "ユーザ", "ゲスト", "メンバー", "オーナー", "カスタマー",
    "クライアント", "多", "異", "一", "有", "左", "仕",
})
_NOT_NAME_ENDINGS = tuple("者長員方位社課部係室局庁所会校家中殿主先達業店院館団隊署省府県市町村区組生模")
_ATENA = re.compile(r"(?P<name>.*?)[ 　]*(?P<hon>様|さま|殿|御中|各位|さん|くん|君|ちゃん)?[ 　]*")


def _compact(name: str) -> str:
    return "".join(name.split())


# ---------------------------------------------------------------------------------------------
# The text being checked


class _Doc:
    """A text with its lines, its subject line (件名：…) and where its body starts."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.plain = text.translate(_FULLWIDTH)  # ASCII digits, same length and offsets
        starts = [0]
        find = text.find
        at = find("\n")
        while at != -1:
            starts.append(at + 1)
            at = find("\n", at + 1)
        self.starts = starts
        first_end = starts[1] - 1 if len(starts) > 1 else len(text)
        self.subject: tuple[int, int] | None = None
        for prefix in ("件名：", "件名:", "Subject:"):
            if text.startswith(prefix):
                self.subject = (len(prefix), first_end)
                break
        self.body_start = first_end + 1 if self.subject is not None else 0

    def where(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(self.starts, offset) - 1
        return index + 1, offset - self.starts[index] + 1

    def line_of(self, offset: int) -> tuple[int, int]:
        """(start, end) of the line holding ``offset`` (end excludes the line break)."""
        index = bisect.bisect_right(self.starts, offset) - 1
        start = self.starts[index]
        end = self.starts[index + 1] - 1 if index + 1 < len(self.starts) else len(self.text)
        return start, end

    def sentence_of(self, offset: int) -> str:
        text = self.text
        start = max(text.rfind(c, 0, offset) for c in _SENTENCE_END) + 1
        ends = [e for e in (text.find(c, offset) for c in _SENTENCE_END) if e != -1]
        return text[start:min(ends) if ends else len(text)]


@dataclass(frozen=True)
class _DateRef:
    start: int
    end: int  # after the weekday, if any
    year: int | None  # as written
    month: int
    day: int
    weekday: str | None
    kanji: bool  # written with 月 and 日 (a date for sure, so a wrong one is reported)
    resolved: dt.date | None
    valid: bool
    after: int  # after the time, when a time follows, else ``end``
    timed: bool


def _resolve(year: int | None, month: int, day: int, on: dt.date | None) -> tuple[dt.date | None, bool]:
    """The date meant, and whether it exists. Without a year: the year that puts it nearest
    the send date (a tie goes to the future)."""
    if year is not None:
        try:
            return dt.date(year, month, day), True
        except ValueError:
            return None, False
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None, False
    if on is None:
        try:
            dt.date(2000, month, day)  # a leap year: 2月29日 exists
        except ValueError:
            return None, False
        return None, True
    best: tuple[tuple[int, bool], dt.date] | None = None
    for candidate_year in (on.year - 1, on.year, on.year + 1):
        try:
            candidate = dt.date(candidate_year, month, day)
        except ValueError:
            continue
        key = (abs((candidate - on).days), candidate < on)
        if best is None or key < best[0]:
            best = (key, candidate)
    return (best[1], True) if best else (None, False)


def _dates(doc: _Doc, on: dt.date | None) -> list[_DateRef]:
    plain = doc.plain
    found: list[_DateRef] = []
    for m in _DATE.finditer(plain):
        year: int | None
        kanji = m.group("m") is not None
        if kanji:
            if m.group("era"):
                number = 1 if m.group("ey") == "元" else int(m.group("ey"))
                year = _ERA_OFFSET[m.group("era")] + number
            else:
                year = int(m.group("y")) if m.group("y") else None
            month, day = int(m.group("m")), int(m.group("d"))
        elif m.group("sm") is not None:
            year, month, day = int(m.group("sy")), int(m.group("sm")), int(m.group("sd"))
        elif m.group("qm") is not None:
            year, month, day = None, int(m.group("qm")), int(m.group("qd"))
        else:
            year, month, day = int(m.group("iy")), int(m.group("im")), int(m.group("id"))
        resolved, valid = _resolve(year, month, day, on)
        if not valid and not kanji:
            continue  # 13/45 or 2026-99-01 is not a date at all
        end = m.end()
        weekday = None
        wd = _WEEKDAY.match(plain, end)
        if wd:
            weekday = wd.group("wd") or wd.group("wd2")
            end = wd.end()
        time = _TIME.match(plain, end)
        after = time.end() if time else end
        found.append(_DateRef(m.start(), end, year, month, day, weekday, kanji, resolved, valid,
                              after, time is not None))
    return found


# ---------------------------------------------------------------------------------------------
# The context of one check


@dataclass(frozen=True)
class _Context:
    kind: str | None
    result: str | None
    on: dt.date | None
    interview: dt.date | None
    topics: tuple[Topic, ...]
    charset: str
    fix: bool
    naitei_notice: bool = False  # the text is itself a 内定 notice
    language: str = "ja"  # "en": an English letter (English rules; no keigo, no 様)


@dataclass
class _Raw:
    """A finding before it is placed: offsets in the checked (stand-in) text."""

    rule: str
    start: int
    end: int
    message: str
    suggestion: str = ""


@dataclass
class _Pass:
    """What one run of the rules over a stand-in text found, kept for the same text again."""

    raw: list[_Raw]
    # Names before 様 that are not the stand-in: compared with each applicant's name.
    tokens: list[tuple[int, int, str]]
    # The name the 宛名 gives (when it is not the stand-in), and where the 宛名 is.
    atena_name: str | None
    atena_span: tuple[int, int] | None
    # per line: octets without the stand-ins, full-name stand-ins, family-name stand-ins
    line_octets: list[tuple[int, int, int]]
    marks: list[int] = field(default_factory=list)  # offsets of the full-name stand-ins
    family_marks: list[int] = field(default_factory=list)  # offsets of the family-name ones
    # The longest line without its stand-ins, and the most stand-ins on one line: when even
    # both together fit, no applicant's name can make a line too long.
    widest: tuple[int, int] = (0, 0)


class Checker:
    """The rules for one profile (its ``[check]`` table), reused for many drafts.

    A batch checks thousands of messages whose text differs only by the applicant's name:
    the findings of the text without the name are kept (at most a few thousand texts), so
    each combination of kind, result and topics is checked once.
    """

    def __init__(self, profile: Profile, settings: CheckSettings | None = None) -> None:
        self.profile = profile
        self.settings = settings if settings is not None else profile.check
        self._enabled = frozenset(rule_id for rule_id in RULES if self.settings.enabled(rule_id))
        org = profile.organisation
        self._adverts = tuple(v for v in (org.brand_message, org.site) if v.strip())
        self._sender = _compact(org.sender)
        self._memo: dict[tuple[Any, ...], _Pass] = {}

    # --- entry points ---

    def check_message(
        self,
        message: Message,
        *,
        on: dt.date | None = None,
        others: Iterable[str] = (),
        booking: Slot | None = None,
        charset: str = "utf-8",
        fix: bool = False,
    ) -> list[Finding]:
        """Check a composed (or logged) message. ``on`` is the send date (default: the
        message's date), ``others`` the names of the other applicants in the log, ``booking``
        this applicant's booked interview; ``charset`` and ``fix`` as for the .eml."""
        interview = booking.start.astimezone(JST).date() if booking is not None else None
        if interview is None and message.slots and message.kind in KINDS \
                and KINDS[message.kind].needs_slot:
            interview = message.slots[0].start.astimezone(JST).date()
        ctx = _Context(
            kind=message.kind if message.kind in KINDS else None, result=message.result,
            on=on or message.date, interview=interview, topics=message.topics,
            # An English letter is always sent in UTF-8 (kizuna.output.eml.mail_charset).
            charset=_charset("utf-8" if message.language == "en" else charset), fix=fix,
            language="en" if message.language == "en" else "ja",
        )
        candidate = message.candidate
        return self._check(message_text(message), candidate.name, ctx, others,
                           family=candidate.family_name)

    def check_text(
        self,
        text: str,
        *,
        kind: str | None = None,
        result: str | None = None,
        candidate: Candidate | None = None,
        on: dt.date | None = None,
        others: Iterable[str] = (),
        booking: Slot | None = None,
        topics: Sequence[Topic] = (),
        charset: str = "utf-8",
        fix: bool = False,
        language: str | None = None,
    ) -> list[Finding]:
        """Check a draft's text (a first line 件名：… or Subject: … is its subject). Without
        ``kind`` it is guessed from the subject; without ``result``, a not-passed notice is
        recognised by its wording; without ``candidate``, the name in the 宛名 (or after
        "Dear") is taken to be the applicant; without ``language``, a text with no kana is
        taken to be an English letter."""
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if language not in ("ja", "en"):
            language = guess_language(text, candidate.name if candidate else None)
        naitei_notice = False
        if kind is None:
            kind, naitei_notice = _guess_kind(text, self.profile)
        elif kind not in KINDS:
            kind = None
        interview = booking.start.astimezone(JST).date() if booking is not None else None
        ctx = _Context(kind=kind, result=result, on=on, interview=interview, topics=tuple(topics),
                       charset=_charset("utf-8" if language == "en" else charset), fix=fix,
                       naitei_notice=naitei_notice, language=language)
        return self._check(text, candidate.name if candidate else None, ctx, others,
                           family=candidate.family_name if candidate else None)

    # --- the run ---

    def _check(self, text: str, name: str | None, ctx: _Context, others: Iterable[str], *,
               family: str | None = None) -> list[Finding]:
        name = name.strip() if name else None
        skeleton, family = stand_ins(text, name, family)
        key = (skeleton, ctx, language())  # findings are worded in the language of the moment
        done = self._memo.get(key)
        if done is None:
            done = self._pass(skeleton, ctx, marked=skeleton is not text)
            if len(self._memo) >= 4096:
                self._memo.clear()
            self._memo[key] = done
        raw = list(done.raw)
        atena_name = done.atena_name
        if family and atena_name:
            atena_name = atena_name.replace(FAMILY_MARK, family)
        # What depends on who the applicant is.
        reference = name or atena_name
        if done.tokens and reference:
            raw += self._names(done.tokens, reference)
        if ctx.language == "en":
            if name and atena_name and done.atena_span:
                raw += _greeting_names(name, atena_name, done.atena_span, self._enabled)
        elif name and atena_name and done.atena_span and "person.atena" in self._enabled:
            parts = name.split()
            if len(parts) > 1 and _compact(atena_name) in (parts[0], parts[-1]):
                raw.append(_Raw("person.atena", *done.atena_span,
                                _("The 宛名 gives only part of the name: it carries the full name."),
                                f"{name} 様"))
        names = [n for n in others if n]
        if names and "person.other" in self._enabled:
            # Without the applicant given, the one the 宛名 names is not "another applicant".
            other = self._others(skeleton, names, name, atena_name)
            if other:
                # Another applicant's name before 様 is one finding, not two.
                starts = {item.start for item in other}
                raw = [r for r in raw if not (r.rule == "person.name" and r.start in starts)] + other
        if "mail.line_length" in self._enabled:
            raw += self._line_length(skeleton, done, name, family, ctx)
        name_raw: list[_Raw] = []
        family_raw: list[_Raw] = []
        if name and done.marks:
            name_raw = _name_findings(name, ctx.charset, ctx.fix, self._enabled)
        if family and done.family_marks:
            family_raw = _name_findings(family, ctx.charset, ctx.fix, self._enabled)
        if not raw and not name_raw and not family_raw:
            return []
        return self._place(text, done, name, family, raw, name_raw, family_raw)

    def _place(self, text: str, done: _Pass, name: str | None, family: str | None,
               raw: list[_Raw], name_raw: list[_Raw], family_raw: list[_Raw]) -> list[Finding]:
        """Findings at their line and column in the real text (the names put back in)."""
        doc = _Doc(text)
        marks = [(at, len(name) - 1, name_raw) for at in done.marks] if name else []
        if family:
            marks = sorted(marks + [(at, len(family) - 1, family_raw) for at in done.family_marks])
        offsets = [at for at, _, _ in marks]
        grown = list(itertools.accumulate(grow for _, grow, _ in marks))

        def real(offset: int) -> int:
            before = bisect.bisect_left(offsets, offset)
            return offset + grown[before - 1] if before else offset

        out: list[Finding] = []
        seen: set[tuple[str, int, int]] = set()

        def add(rule: str, start: int, end: int, message: str, suggestion: str) -> None:
            if (rule, start, end) in seen:
                return
            seen.add((rule, start, end))
            line, column = doc.where(start)
            if name:
                message, suggestion = message.replace(MARK, name), suggestion.replace(MARK, name)
            if family:
                message = message.replace(FAMILY_MARK, family)
                suggestion = suggestion.replace(FAMILY_MARK, family)
            out.append(Finding(rule, self.settings.severity(rule), line, column, text[start:end],
                               message, suggestion))

        for item in raw:
            add(item.rule, real(item.start), real(item.end), item.message, item.suggestion)
        for mark, _grow, found in marks:
            at = real(mark)
            for item in found:
                add(item.rule, at + item.start, at + item.end, item.message, item.suggestion)
        out.sort(key=lambda f: (f.line, f.column, f.rule))
        return out

    def _pass(self, text: str, ctx: _Context, *, marked: bool) -> _Pass:
        doc = _Doc(text)
        on = self._enabled
        raw: list[_Raw] = []
        tokens: list[tuple[int, int, str]] = []
        atena_name: str | None = None
        atena_span: tuple[int, int] | None = None
        not_passed = _is_not_passed(doc, ctx)
        english = ctx.language == "en"
        if on & _PERSON:
            if english:
                # An English letter has no 様: its name is the one after "Dear".
                atena_name, atena_span = self._greeting(doc, raw, marked)
            else:
                atena_name, atena_span = self._atena(doc, raw, marked)
                tokens = _tokens(doc) if "person.name" in on else []
        if on & _DATES:
            self._dates(doc, ctx, raw)
        if on & _TONE:
            self._tone(doc, ctx, raw, not_passed)
        if on & _PUBLIC:
            if english:
                self._public_en(doc, ctx, raw, not_passed)
            else:
                self._public(doc, ctx, raw, not_passed)
        if on & _KEIGO and not english:  # keigo is Japanese
            self._keigo(doc, raw)
        if on & _LEFTOVER:
            _leftovers(text, 0, raw, on)
            if english and "leftover.placeholder" in on:
                for m in _PLACEHOLDER_EN.finditer(text):
                    raw.append(_Raw("leftover.placeholder", m.start(), m.end(),
                                    "A placeholder left in the text.", "the real value"))
        if on & _MAIL:
            _mail(text, ctx.charset, ctx.fix, raw, on)
        marks = [m.start() for m in re.finditer(MARK, text)] if marked else []
        family_marks = [m.start() for m in re.finditer(FAMILY_MARK, text)] if marked else []
        octets: list[tuple[int, int, int]] = []
        if "mail.line_length" in on:
            encoding = ctx.charset
            for line in text.split("\n"):
                full, families = line.count(MARK), line.count(FAMILY_MARK)
                base = line.replace(MARK, "").replace(FAMILY_MARK, "") if full or families else line
                size = len(base) if base.isascii() else len(base.encode(encoding, "replace"))
                octets.append((size, full, families))
        widest = (max((o[0] for o in octets), default=0),
                  max((o[1] + o[2] for o in octets), default=0))
        return _Pass(raw, tokens, atena_name, atena_span, octets, marks, family_marks, widest)

    # --- the person ---

    def _atena(self, doc: _Doc, raw: list[_Raw], marked: bool) -> tuple[str | None, tuple[int, int] | None]:
        """Check the 宛名 (the body's first line); return the name it gives (unless it is the
        stand-in for the applicant's) and where it is."""
        text = doc.text
        start = doc.body_start
        while start < len(text) and text[start] in "\n \u3000\t":
            start += 1
        if start >= len(text):
            return None, None
        _line_start, line_end = doc.line_of(start)
        line = text[start:line_end].rstrip()
        end = start + len(line)
        m = _ATENA.fullmatch(line)
        if m is None:  # pragma: no cover - the pattern matches any line
            return None, None
        who, honorific = m.group("name"), m.group("hon")
        span = (start, end)
        report = "person.atena" in self._enabled
        if honorific in ("様", "さま"):
            if who.endswith(("様", "さま")):
                if report:
                    raw.append(_Raw("person.atena", start, end, _("The 宛名 has 様 twice."),
                                    f"{who.rstrip('様さま 　')} 様"))
                return None, None
            if who.endswith("各位"):
                if report:
                    raw.append(_Raw("person.atena", start, end,
                                    _("各位 is already an honorific (and is for groups): 各位様 is wrong."),
                                    _("the applicant's full name + 様")))
                return None, None
            if not who.strip():
                if report:
                    raw.append(_Raw("person.atena", start, end, _("The 宛名 has no name before 様."),
                                    _("the applicant's full name + 様")))
                return None, None
            if MARK in who:
                return None, None  # the applicant's own name, as given
            return who, span
        looks_like_name = len(line) <= 24 and not re.search(r"[。、，,.\d]", line)
        if honorific is not None:
            if report:
                why = {
                    "殿": _("殿 is for official documents, not a letter to an applicant"),
                    "御中": _("御中 is for organisations, not a person"),
                    "各位": _("各位 is for a group of readers, not one applicant"),
                }.get(honorific, _("{honorific} is too familiar for a letter to an applicant").format(
                    honorific=honorific))
                raw.append(_Raw("person.atena", start, end,
                                _("The 宛名 ends with {honorific}: {why}.").format(
                                    honorific=honorific, why=why),
                                f"{who} 様" if who.strip() else _("the applicant's full name + 様")))
            return (who, span) if who.strip() and MARK not in who else (None, None)
        if report:
            if looks_like_name and (MARK in line or _NAME_CHAR.search(line)):
                raw.append(_Raw("person.atena", start, end, _("The 宛名 has no 様."), f"{line} 様"))
            else:
                raw.append(_Raw("person.atena", start, min(end, start + 20),
                                _("The message does not start with a 宛名 (the applicant's full "
                                  "name and 様 on the first line)."),
                                f"{MARK} 様" if marked else _("the applicant's full name + 様")))
        return None, None

    def _names(self, tokens: list[tuple[int, int, str]], reference: str) -> list[_Raw]:
        """Names before 様 that are not the applicant's (or, with no applicant given, not the
        one the 宛名 names)."""
        if "person.name" not in self._enabled:
            return []
        full = _compact(reference)
        parts = reference.split()
        known = {full, *parts}
        found: list[_Raw] = []
        for start, end, token in tokens:
            word = _compact(token)
            if word in known or any(word.endswith(k) for k in known if k):
                continue
            found.append(_Raw(
                "person.name", start, end,
                _("{name} is not the applicant's name ({reference}).").format(
                    name=token, reference=reference),
                f"{parts[0] if parts else reference}様",
            ))
        return found

    def _others(self, text: str, names: Sequence[str], own: str | None,
                addressed: str | None) -> list[_Raw]:
        index = _name_index(tuple(sorted(set(names))))
        exclude = {self._sender, _compact(own or addressed or "")}
        found: list[_Raw] = []
        positions = [i for i, ch in enumerate(text) if ch not in _SPACES]
        compact = "".join(text[i] for i in positions)
        heads = index.heads
        for i in range(len(compact) - 1):
            entries = heads.get(compact[i:i + 2])
            if not entries:
                continue
            for display, full in entries:
                if full in exclude or not compact.startswith(full, i):
                    continue
                start, end = positions[i], positions[i + len(full) - 1] + 1
                found.append(_Raw(
                    "person.other", start, end,
                    _("{name} is another applicant in the log, not the one this message is "
                      "for.").format(name=display),
                    f"{MARK}" if own else _("this applicant's name"),
                ))
        return found

    def _line_length(self, text: str, done: _Pass, name: str | None, family: str | None,
                     ctx: _Context) -> list[_Raw]:
        size, stand_ins = done.widest
        if size + stand_ins * (4 * len(name or "") + 6) <= MAX_LINE_OCTETS:
            return []  # at most 4 octets a character, and ISO-2022-JP's escapes
        extra = len(name.encode(ctx.charset, "replace")) if name else 0
        family_extra = len(family.encode(ctx.charset, "replace")) if family else 0
        found: list[_Raw] = []
        starts: list[int] | None = None
        for index, (size, full, families) in enumerate(done.line_octets):
            total = size + full * extra + families * family_extra
            if total > MAX_LINE_OCTETS:
                if starts is None:
                    starts = _Doc(text).starts
                start = starts[index]
                found.append(_Raw(
                    "mail.line_length", start, start + 10,
                    _("Line {line} is {octets} octets long in {charset}; an email line may have at "
                      "most {maximum}.").format(line=index + 1, octets=total, charset=ctx.charset,
                                                maximum=MAX_LINE_OCTETS),
                    _("break the line"),
                ))
        return found

    # --- dates ---

    def _dates(self, doc: _Doc, ctx: _Context, raw: list[_Raw]) -> None:
        on, enabled = ctx.on, self._enabled
        english = ctx.language == "en"
        refs = _dates_en(doc, on) if english else _dates(doc, on)
        text = doc.text
        policy = self.profile.slots
        for ref in refs:
            shown = text[ref.start:ref.end]
            if not ref.valid:
                if "date.invalid" in enabled:
                    written = (f"{ref.day} {_MONTHS_EN[ref.month - 1]}" if english and 1 <= ref.month <= 12
                               else f"{ref.month}月{ref.day}日")
                    raw.append(_Raw("date.invalid", ref.start, ref.end,
                                    (_("{date} does not exist in {year}.") if ref.year
                                     else _("{date} does not exist.")).format(
                                        date=written, year=ref.year),
                                    _("check the date")))
                continue
            day = ref.resolved
            if day is None:
                continue
            assumed = "" if ref.year is not None else _(
                " (the year taken as {year}, nearest the send date)").format(year=day.year)
            if english and ref.weekday and "date.weekday" in enabled:
                real = _WEEKDAY_EN[day.weekday()]
                if _weekday_index_en(ref.weekday) != day.weekday():
                    raw.append(_Raw(
                        "date.weekday", ref.start, ref.end,
                        _("{day} {month} {year} is a {real}, not a {written}{assumed}.").format(
                            day=day.day, month=_MONTHS_EN[day.month - 1], year=day.year, real=real,
                            written=ref.weekday, assumed=assumed),
                        shown.replace(ref.weekday, real, 1),
                    ))
            elif ref.weekday and "date.weekday" in enabled:
                real = WEEKDAYS_JA[day.weekday()]
                if real != ref.weekday:
                    fixed = shown[::-1].replace(ref.weekday, real, 1)[::-1]
                    raw.append(_Raw(
                        "date.weekday", ref.start, ref.end,
                        _("{month}月{day}日 is a {weekday} ({weekday_ja}) in {year}, not "
                          "{written}{assumed}.").format(
                            month=day.month, day=day.day, weekday=_(_WEEKDAY_EN[day.weekday()]),
                            weekday_ja=real, year=day.year, written=ref.weekday, assumed=assumed),
                        fixed,
                    ))
            if on is None:
                continue
            line_start = doc.line_of(ref.start)[0]
            if english:
                sentence = _sentence_en(doc, ref.start)
                past_context = _PAST_MARKERS_EN.search(sentence) is not None
                deadline = _DEADLINE_BEFORE_EN.search(text, line_start, ref.start) is not None
            else:
                sentence = doc.sentence_of(ref.start)
                past_context = _PAST_MARKERS.search(sentence) is not None
                deadline = _UNTIL.match(doc.plain, ref.after) is not None or (
                    _DEADLINE_BEFORE.search(text, line_start, ref.start) is not None
                )
            if deadline:
                if day < on and not past_context and "date.deadline" in enabled:
                    raw.append(_Raw(
                        "date.deadline", ref.start, ref.end,
                        _("The deadline {day} is before the send date {date}{assumed}.").format(
                            day=day.isoformat(), date=on.isoformat(), assumed=assumed),
                        _("a deadline after the send date"),
                    ))
            elif ref.timed and day < on and not past_context and "date.past" in enabled:
                raw.append(_Raw(
                    "date.past", ref.start, ref.end,
                    _("{day} is before the send date {date}{assumed}: an appointment in the "
                      "past.").format(day=day.isoformat(), date=on.isoformat(), assumed=assumed),
                    _("a date after the send date"),
                ))
            if ref.timed and "date.closed" in enabled and 1900 <= day.year <= 2100:
                what = policy.day_kind(day)
                if what in ("closed", "holiday"):
                    if what == "holiday":
                        why = _("a public holiday ({holiday})").format(holiday=holiday_name(day))
                    elif policy.calendar.in_closure(day):
                        why = _("in the office's closure (the profile's slots.closure)")
                    else:
                        why = _("a blocked day (the profile's slots.blocked_dates)")
                    raw.append(_Raw(
                        "date.closed", ref.start, ref.end,
                        _("{day} is {why}: no interviews are held then{assumed}.").format(
                            day=day.isoformat(), why=why, assumed=assumed),
                        _("an open day (see `kizuna slots`)"),
                    ))
        if "date.relative" in enabled and on is not None:
            if english:
                self._relative_en(doc, ctx, refs, raw)
            else:
                self._relative(doc, ctx, refs, raw)

    def _relative_en(self, doc: _Doc, ctx: _Context, refs: list[_DateRef], raw: list[_Raw]) -> None:
        """today / tomorrow / the day after tomorrow that do not match the date they name (a
        date beside them, or the interview in a sentence about it)."""
        on = ctx.on
        assert on is not None
        text = doc.text
        interview = _interview_day(ctx, refs)
        for m in _RELATIVE_EN.finditer(text):
            word = m.group().lower()
            expected = on + dt.timedelta(days=_RELATIVE_DAYS_EN[word])
            referent: dt.date | None = None
            for ref in refs:
                if 0 <= ref.start - m.end() <= 3 and set(text[m.end():ref.start]) <= _JOINERS_EN:
                    referent = ref.resolved
                    break
                if 0 <= m.start() - ref.end <= 3 and set(text[ref.end:m.start()]) <= _JOINERS_EN:
                    referent = ref.resolved
                    break
            else:
                if interview is not None and _INTERVIEW_WORDS_EN.search(_sentence_en(doc, m.start())):
                    referent = interview
            if referent is None or referent == expected:
                continue
            days = (referent - on).days
            better = {0: "today", 1: "tomorrow", 2: "the day after tomorrow"}.get(days)
            named = f"{_WEEKDAY_EN[referent.weekday()]}, {referent.day} {_MONTHS_EN[referent.month - 1]}"
            raw.append(_Raw(
                "date.relative", m.start(), m.end(),
                f"'{m.group()}' is {expected.isoformat()} for a message sent on {on.isoformat()}, "
                f"but the date it refers to is {referent.isoformat()}.",
                f"{better} ({named})" if better else named,
            ))

    def _relative(self, doc: _Doc, ctx: _Context, refs: list[_DateRef], raw: list[_Raw]) -> None:
        on = ctx.on
        assert on is not None
        text = doc.text
        interview = _interview_day(ctx, refs)
        for m in _RELATIVE.finditer(text):
            word = m.group()
            if text.startswith("以降", m.end()):
                continue
            expected = on + dt.timedelta(days=_RELATIVE_DAYS[word])
            referent: dt.date | None = None
            for ref in refs:
                between_after = text[m.end():ref.start]
                between_before = text[ref.end:m.start()]
                if 0 <= ref.start - m.end() <= 4 and set(between_after) <= _JOINERS_AFTER:
                    referent = ref.resolved
                    break
                if 0 <= m.start() - ref.end <= 2 and set(between_before) <= _JOINERS_BEFORE:
                    referent = ref.resolved
                    break
            else:
                if interview is not None and _INTERVIEW_WORDS.search(doc.sentence_of(m.start())):
                    referent = interview
            if referent is None or referent == expected:
                continue
            raw.append(_Raw(
                "date.relative", m.start(), m.end(),
                _("{word} is {expected} for a message sent on {date}, but the date it refers to "
                  "is {referent}.").format(word=word, expected=expected.isoformat(),
                                           date=on.isoformat(), referent=referent.isoformat()),
                _relative_word(referent, on),
            ))

    # --- tone ---

    def _tone(self, doc: _Doc, ctx: _Context, raw: list[_Raw], not_passed: bool) -> None:
        text, enabled = doc.text, self._enabled
        if ctx.topics and ctx.kind is not None and "tone.topic" in enabled:
            spec = KINDS[ctx.kind]
            opening, town = spec.tones_for(ctx.result)
            for topic in ctx.topics:
                allowed = {"opening": opening, "town": town}.get(topic.role, ("gentle",))
                if topic.tone in allowed:
                    continue
                at = text.find(topic.text) if topic.text else -1
                if at == -1:
                    continue
                where = (_("a not-passed notice") if ctx.result == "not_passed"
                         else _("a {kind} message").format(kind=ctx.kind))
                raw.append(_Raw(
                    "tone.topic", at, at + len(topic.text),
                    _("A {tone} {role} line ({id}) does not belong in {where}.").format(
                        tone=topic.tone, role=topic.role, id=topic.id, where=where),
                    _("leave the line out") if not allowed else _("a {tones} line").format(
                        tones=_(" or ").join(allowed)),
                ))
        if not not_passed:
            return
        english = ctx.language == "en"
        if "tone.festival" in enabled:
            for m in (_FESTIVAL_EN if english else _FESTIVAL).finditer(text):
                raw.append(_Raw("tone.festival", m.start(), m.end(),
                                _("Festival, event or sightseeing wording reads as indifference in "
                                  "a not-passed notice."), _("leave it out")))
            for advert in self._adverts:
                at = text.find(advert)
                while at != -1:
                    raw.append(_Raw("tone.festival", at, at + len(advert),
                                    _("The organisation's slogan or site is advertising: not in a "
                                      "not-passed notice."), _("leave it out")))
                    at = text.find(advert, at + len(advert))
        if "tone.cheer" in enabled:
            for m in (_CHEER_EN if english else _CHEER).finditer(text):
                raw.append(_Raw("tone.cheer", m.start(), m.end(),
                                _("Cheerful wording does not belong in a not-passed notice."),
                                _("a quiet good wish (We wish you every success in the future.)")
                                if english else
                                _("a quiet wish for the applicant's future (今後のご活躍をお祈り申し上げます)")))
        if "tone.exclamation" in enabled:
            for m in _EXCLAMATION.finditer(text):
                raw.append(_Raw("tone.exclamation", m.start(), m.end(),
                                _("No exclamation marks in a not-passed notice."),
                                "." if english else "。"))

    # --- the public employer's terms ---

    def _public(self, doc: _Doc, ctx: _Context, raw: list[_Raw], not_passed: bool) -> None:
        text, enabled, kind = doc.text, self._enabled, ctx.kind
        if "public.naitei" in enabled and self.profile.organisation.public_sector \
                and not ctx.naitei_notice and not not_passed and kind not in ("offer", "pre_arrival_guide"):
            applies = kind is not None or _PASS_WORDS.search(text) is not None
            if applies:
                for m in _NAITEI.finditer(text):
                    if _NAITEI_LATER.search(doc.sentence_of(m.start())):
                        continue
                    raw.append(_Raw(
                        "public.naitei", m.start(), m.end(),
                        _("A public employer's final pass (最終合格, 採用候補者名簿) is not yet a 内定: "
                          "the 採用内定 is a later, separate notice."),
                        self.profile.final_pass if "合格" in self.profile.final_pass else "最終合格",
                    ))
        if "public.gokaku" not in enabled:
            return
        if not_passed:
            for m in _GOKAKU.finditer(text):
                raw.append(_Raw("public.gokaku", m.start(), m.end(),
                                _("合格 in a not-passed notice."),
                                "ご希望に添いかねる結果となりました"))
        elif kind is not None and kind not in ("final_result", "offer", "pre_arrival_guide", "note"):
            for m in _FINAL_PASS.finditer(text):
                raw.append(_Raw("public.gokaku", m.start(), m.end(),
                                _("最終合格 belongs to the final result, not to a {kind} "
                                  "message.").format(kind=kind),
                                _("通過 (a stage passed)")))

    def _public_en(self, doc: _Doc, ctx: _Context, raw: list[_Raw], not_passed: bool) -> None:
        """The public employer's terms in an English letter: no offer of appointment stated
        before the offer step, and no "passed" in a not-passed notice or "final pass" outside
        the final result."""
        text, enabled, kind = doc.text, self._enabled, ctx.kind
        if "public.naitei" in enabled and self.profile.organisation.public_sector \
                and not ctx.naitei_notice and not not_passed and kind not in ("offer", "pre_arrival_guide"):
            for m in _NAITEI_EN.finditer(text):
                if _NAITEI_LATER_EN.search(_sentence_en(doc, m.start())):
                    continue
                raw.append(_Raw(
                    "public.naitei", m.start(), m.end(),
                    "A public employer's final pass (a place on the list of candidates for "
                    "appointment) is not yet an offer: the offer of appointment is a later, "
                    "separate notice.", "you have passed the final stage of the selection",
                ))
        if "public.gokaku" not in enabled:
            return
        if not_passed:
            for m in _PASSED_EN.finditer(text):
                raw.append(_Raw("public.gokaku", m.start(), m.end(),
                                "'passed' in a not-passed notice.",
                                "we are unable to offer you a place in the next stage"))
        elif kind is not None and kind not in ("final_result", "offer", "pre_arrival_guide", "note"):
            for m in _FINAL_PASS_EN.finditer(text):
                raw.append(_Raw("public.gokaku", m.start(), m.end(),
                                f"A final pass belongs to the final result, not to a {kind} message.",
                                "you have passed <the stage>"))

    def _greeting(self, doc: _Doc, raw: list[_Raw], marked: bool) -> tuple[str | None, tuple[int, int] | None]:
        """Check an English letter's greeting (the body's first line, "Dear <full name>,");
        return the name it gives (unless it is the stand-in for the applicant's) and where."""
        text = doc.text
        start = doc.body_start
        while start < len(text) and text[start] in "\n \u3000\t":
            start += 1
        if start >= len(text):
            return None, None
        _, line_end = doc.line_of(start)
        line = text[start:line_end].rstrip()
        end = start + len(line)
        report = "person.atena" in self._enabled
        m = _GREETING_EN.fullmatch(line)
        if m is None:
            if report:
                raw.append(_Raw("person.atena", start, min(end, start + 20),
                                "An English letter opens with \"Dear\", the applicant's full name "
                                "and a comma.", f"Dear {MARK}," if marked else "Dear <full name>,"))
            return None, None
        who = m.group("name").strip()
        if _TITLE_EN.match(who):
            if report:
                raw.append(_Raw("person.atena", start, end,
                                "No guessed title: the greeting carries the full name as the "
                                "applicant wrote it.",
                                f"Dear {MARK}," if marked else "Dear <full name>,"))
            who = _TITLE_EN.sub("", who, count=1).strip()
        elif _NOBODY_EN.fullmatch(who):
            if report:
                raw.append(_Raw("person.atena", start, end,
                                f"\"Dear {who}\" names nobody: the greeting carries the "
                                "applicant's full name.", f"Dear {MARK}," if marked else
                                "Dear <full name>,"))
            return None, None
        if not m.group("comma") and report:
            raw.append(_Raw("person.atena", start, end, "The greeting ends with a comma.",
                            f"{line},"))
        if not who or MARK in who:
            return None, None
        return who, (start, end)

    # --- keigo ---

    def _keigo(self, doc: _Doc, raw: list[_Raw]) -> None:
        text, enabled = doc.text, self._enabled
        if "keigo.double" in enabled:
            for pattern, suggestion in _DOUBLE:
                for m in pattern.finditer(text):
                    raw.append(_Raw("keigo.double", m.start(), m.end(), _("二重敬語 (or humble and "
                                    "respectful forms mixed)."), _(suggestion)))
        if "keigo.ryokai" in enabled:
            for m in _RYOKAI.finditer(text):
                raw.append(_Raw("keigo.ryokai", m.start(), m.end(),
                                _("了解 is not polite enough for an applicant."),
                                "承知しました / かしこまりました"))
        if "keigo.misuse" in enabled:
            for pattern, suggestion in _MISUSE:
                for m in pattern.finditer(text):
                    raw.append(_Raw("keigo.misuse", m.start(), m.end(), _("A common keigo mistake."),
                                    _(suggestion)))
        if "keigo.mixed" in enabled and _POLITE_END.search(text):
            for m in _PLAIN_END.finditer(text):
                line_start = doc.line_of(m.start())[0]
                before = text[line_start:m.start()]
                if before.count("「") > before.count("」") or before.count("『") > before.count("』"):
                    continue  # inside a quotation
                raw.append(_Raw("keigo.mixed", m.start(), m.end(),
                                _("A だ・である ending in a text written with です・ます."),
                                "です / でございます"))


# --- English letters --------------------------------------------------------------------------

_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")
# Abbreviations may carry a full stop ("Dec."), a month written out may not: "23 November." ends
# a sentence.
_MONTH_EN_RE = (r"(?:January|February|March|April|May|June|July|August|September|October|November|"
                r"December|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?)")
_WEEKDAY_EN_RE = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Mon|Tues|Tue|Wed|Thurs|Thur|Thu|Fri|Sat|Sun)"
_DATE_EN = re.compile(
    rf"(?<![\w])(?:(?P<wd>{_WEEKDAY_EN_RE}),?\s+)?"
    rf"(?:(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<m>{_MONTH_EN_RE})"
    rf"|(?P<m2>{_MONTH_EN_RE})\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?(?![\d:]))"
    r"(?:,?\s+(?P<y>(?:19|20)\d\d|2100)(?!\d))?(?![\w])"
)
_TIME_EN = re.compile(r",?\s*(?:at\s+|from\s+)?\d{1,2}(?::\d\d|\s*(?:am|pm|a\.m\.|p\.m\.)(?![a-z]))",
                      re.IGNORECASE)
_DEADLINE_BEFORE_EN = re.compile(
    r"\b(?:by|until|till|before|no later than|deadline(?: is)?:?)\s+(?:the\s+|on\s+)?$",
    re.IGNORECASE,
)
_PAST_MARKERS_EN = re.compile(
    r"\b(?:received|sent|held|took place|attended|last|previous|previously|earlier|ago|"
    r"yesterday|was|were)\b", re.IGNORECASE,
)
_RELATIVE_EN = re.compile(r"\b(?:the day after tomorrow|tomorrow|today|tonight)\b", re.IGNORECASE)
_RELATIVE_DAYS_EN = {"the day after tomorrow": 2, "tomorrow": 1, "today": 0, "tonight": 0}
_JOINERS_EN = frozenset(" (,:")
_INTERVIEW_WORDS_EN = re.compile(
    r"\b(?:interview|meeting|meet|talk|join|see you|on the day)\w*", re.IGNORECASE,
)
_NOT_PASSED_EN = re.compile(
    r"unable to offer|not (?:been )?successful|unsuccessful|not to (?:proceed|progress)|"
    r"will not be (?:moving|proceeding|progressing)|regret to (?:inform|tell)|sorry to (?:inform|tell)",
    re.IGNORECASE,
)
_FESTIVAL_EN = re.compile(
    r"\b(?:festivals?|fireworks|events?|sightseeing|must-see|campaign|tourists?|tourism|"
    r"come and visit|do visit|in full bloom|at (?:their|its) best)\b", re.IGNORECASE,
)
_CHEER_EN = re.compile(
    r"\b(?:congratulations|congrats|delighted|thrilled|excited|exciting|can't wait|cannot wait|"
    r"wonderful|fantastic|amazing|great news|look(?:ing)? forward|celebrat\w*|good luck)\b"
    r"|[♪☆★♡♥]|:\)|[\U0001f300-\U0001faff]",
    re.IGNORECASE,
)
_NAITEI_EN = re.compile(
    r"\b(?:job offer|offer of (?:appointment|employment)|offer you (?:the|an?) "
    r"(?:post|position|job|appointment))\b|内々?定", re.IGNORECASE,
)
_NAITEI_LATER_EN = re.compile(
    r"\b(?:separately|later|will send|will follow|not yet|in due course|is not|isn't|next step)\b",
    re.IGNORECASE,
)
_PASSED_EN = re.compile(r"\b(?:you (?:have )?passed|successful candidates?)\b", re.IGNORECASE)
_FINAL_PASS_EN = re.compile(r"\b(?:final pass|passed the final (?:stage|selection|interview))\b",
                            re.IGNORECASE)
_GREETING_EN = re.compile(r"(?:Dear|Hello|Hi)\s+(?P<name>[^,]*?)\s*(?P<comma>,)?\s*", re.IGNORECASE)
_TITLE_EN = re.compile(r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Mister|Madam)\.?\s+", re.IGNORECASE)
_NOBODY_EN = re.compile(r"(?:Sir(?: or Madam)?|Madam|Sir/Madam|Applicant|Candidate|All|Colleague|"
                        r"Friend|Customer|Valued \w+|Hiring \w+)", re.IGNORECASE)
_PLACEHOLDER_EN = re.compile(
    r"\[(?:name|first name|last name|full name|date|time|place|company|position|job title|"
    r"insert[^\]\n]*|your name|applicant)\]|<(?:name|date|time|full name)>",
    re.IGNORECASE,
)
_EN_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n")


def _weekday_index_en(word: str) -> int:
    return [w.lower()[:3] for w in _WEEKDAY_EN].index(word.lower()[:3])


def _sentence_en(doc: _Doc, offset: int) -> str:
    """The English sentence holding ``offset``: from the last ". " (or line start) before it
    to the next."""
    line_start, line_end = doc.line_of(offset)
    line = doc.text[line_start:line_end]
    at = offset - line_start
    start = 0
    for m in _EN_SENTENCE_END.finditer(line):
        if m.end() > at:
            return line[start:m.start()]
        start = m.end()
    return line[start:]


def _dates_en(doc: _Doc, on: dt.date | None) -> list[_DateRef]:
    """The dates an English letter writes ("Wednesday, 2 December 2026", "December 2",
    "Sat 5 Dec"), with the weekday before them and a time after them, if any."""
    text = doc.text
    found: list[_DateRef] = []
    for m in _DATE_EN.finditer(text):
        month_word = m.group("m") or m.group("m2")
        day_text = m.group("d") or m.group("d2")
        month = next(i for i, name in enumerate(_MONTHS_EN, start=1)
                     if name.lower().startswith(month_word.lower()[:3]))
        day = int(day_text)
        year = int(m.group("y")) if m.group("y") else None
        resolved, valid = _resolve(year, month, day, on)
        end = m.end()
        time = _TIME_EN.match(text, end)
        after = time.end() if time else end
        found.append(_DateRef(m.start(), end, year, month, day, m.group("wd"), True, resolved,
                              valid, after, time is not None))
    return found


def _greeting_names(name: str, greeted: str, span: tuple[int, int],
                    enabled: frozenset[str]) -> list[_Raw]:
    """An English greeting that names someone else, or only part of the applicant's name."""
    full = _compact(name).lower()
    said = _compact(greeted).lower()
    parts = [p.lower() for p in name.split()]
    if said == full:
        return []
    if len(parts) > 1 and said in parts:
        if "person.atena" not in enabled:
            return []
        return [_Raw("person.atena", *span,
                     "The greeting gives only part of the name: it carries the full name.",
                     f"Dear {name},")]
    if "person.name" not in enabled:
        return []
    return [_Raw("person.name", *span, f"{greeted} is not the applicant's name ({name}).",
                 f"Dear {name},")]


def guess_language(text: str, name: str | None = None) -> str:
    """"en" for a draft with no kana (the applicant's name aside), else "ja": every Japanese
    letter has kana, an English one at most in a name."""
    if name:
        text = text.replace(name.strip(), "")
    return "ja" if any("\u3041" <= c <= "\u30ff" or "\uff66" <= c <= "\uff9d" for c in text) else "en"


_PERSON = frozenset({"person.atena", "person.name"})
_DATES = frozenset({"date.weekday", "date.invalid", "date.closed", "date.relative",
                    "date.deadline", "date.past"})
_TONE = frozenset({"tone.topic", "tone.festival", "tone.cheer", "tone.exclamation"})
_PUBLIC = frozenset({"public.naitei", "public.gokaku"})
_KEIGO = frozenset({"keigo.double", "keigo.ryokai", "keigo.misuse", "keigo.mixed"})
_LEFTOVER = frozenset({"leftover.template", "leftover.placeholder", "leftover.todo",
                       "leftover.brackets"})
_MAIL = frozenset({"mail.charset", "mail.kana"})


@lru_cache(maxsize=16)
def _charset(charset: str) -> str:
    name = (charset or "utf-8").lower().replace("_", "-")
    if name in ("utf8",):
        name = "utf-8"
    if name not in CHARSETS:
        raise InputError(_("Unknown charset '{charset}'.").format(charset=charset), field="charset",
                         hint=_("Choose utf-8 or iso-2022-jp."))
    return name


def _is_not_passed(doc: _Doc, ctx: _Context) -> bool:
    if ctx.result is not None:
        return ctx.result == "not_passed"
    if ctx.kind is not None and not KINDS[ctx.kind].needs_result:
        return False
    pattern = _NOT_PASSED_EN if ctx.language == "en" else _NOT_PASSED
    return pattern.search(doc.text) is not None


def _guess_kind(text: str, profile: Profile) -> tuple[str | None, bool]:
    """The kind a text's subject names, when it follows the built-in subjects; and whether
    the text is itself a 内定 notice."""
    first = text.split("\n", 1)[0]
    if not first.startswith(("件名：", "件名:", "Subject:")):
        return None, False
    if "内定" in first or "offer of appointment" in first.lower():
        return None, True
    lower = first.lower()
    for marker, kind in (("application received", "application_received"),
                         ("interview confirmed", "interview_confirmation"),
                         ("invitation to interview", "interview_invitation"),
                         ("your interview", "interview_reminder"),
                         ("first day", "pre_arrival_guide")):
        if marker in lower:
            return kind, False
    if lower.startswith("subject:") and "result of" in lower:
        final_stage = profile.stages[-1]
        final = bool(final_stage.label_en and final_stage.label_en.lower() in lower) or "final" in lower
        return ("final_result" if final else "screening_result"), False
    for marker, kind in (("受け付け", "application_received"), ("応募受付", "application_received"),
                         ("日時確定", "interview_confirmation"), ("確定のご連絡", "interview_confirmation"),
                         ("日程のご案内", "interview_invitation"), ("明日の", "interview_reminder"),
                         ("の日程について", "reply_reminder"),
                         ("着任", "pre_arrival_guide"), ("入庁前", "pre_arrival_guide"),
                         ("入社前", "pre_arrival_guide")):
        if marker in first:
            return kind, False
    if "結果" in first:
        last = profile.stages[-1].label
        final = last in first or "最終" in first
        return ("final_result" if final else "screening_result"), False
    return None, False


def stand_ins(text: str, name: str | None, family: str | None = None) -> tuple[str, str | None]:
    """The text with the applicant's full name, and their family name where it stands before
    an honorific, replaced by the stand-ins; and the family name when it was replaced.
    ``family`` is the applicant's 姓 (by default the name's first part, when it has two).
    ``put_back(skeleton, name, family)`` gives the text back, or another applicant's text of
    the same template when it depends on nothing else of theirs."""
    if not name or any(mark in text or mark in name for mark in _STAND_INS):
        return text, None
    skeleton = text.replace(name, MARK) if name in text else text
    if family is None:
        parts = name.split()
        family = parts[0] if len(parts) > 1 else ""
    if not family or family == name or any(mark in family for mark in _STAND_INS):
        return skeleton, None
    masked = skeleton
    for honorific in _HONORIFICS:
        if family + honorific in masked:
            masked = masked.replace(family + honorific, FAMILY_MARK + honorific)
    return (masked, family) if masked is not skeleton else (skeleton, None)


def put_back(skeleton: str, name: str, family: str | None = None) -> str | None:
    """The text ``stand_ins`` took the names out of, with this ``name`` (and ``family``, as
    there) put in; None when the skeleton has a family name's place and this name has none."""
    if FAMILY_MARK in skeleton:
        if family is None:
            parts = name.split()
            family = parts[0] if len(parts) > 1 else ""
        if not family:
            return None
        skeleton = skeleton.replace(FAMILY_MARK, family)
    return skeleton.replace(MARK, name) if MARK in skeleton else skeleton


def _interview_day(ctx: _Context, refs: list[_DateRef]) -> dt.date | None:
    """The interview's day: the booking's, else the one date the text gives a time for."""
    if ctx.interview is not None:
        return ctx.interview
    timed = {r.resolved for r in refs if r.timed and r.resolved is not None}
    return next(iter(timed)) if len(timed) == 1 else None


def _relative_word(referent: dt.date, on: dt.date) -> str:
    days = (referent - on).days
    word = {0: "本日", 1: "明日", 2: "明後日"}.get(days)
    shown = f"{referent.month}月{referent.day}日（{WEEKDAYS_JA[referent.weekday()]}）"
    return f"{word}（{shown}）" if word else shown


def _tokens(doc: _Doc) -> list[tuple[int, int, str]]:
    """Names written before 様 (other than the stand-in for the applicant's), with offsets."""
    text = doc.text
    found: list[tuple[int, int, str]] = []
    at = text.find("様")
    while at != -1:
        following = text[at + 1:at + 2]
        if not (following and re.match(f"[{_KANJI}]", following)):  # 様子, 様々, 様式
            end = at
            q = at
            while q > 0 and text[q - 1] in _SPACES:
                q -= 1
            start = q
            while start > 0 and _NAME_CHAR.match(text, start - 1):
                start -= 1
            # A full name: another run before one space.
            if start < q and start >= 2 and text[start - 1] in _SPACES and _NAME_CHAR.match(text, start - 2):
                s2 = start - 1
                while s2 > 0 and _NAME_CHAR.match(text, s2 - 1):
                    s2 -= 1
                start = s2
            token = text[start:q]
            prefix = text[start - 1] if start > 0 else ""
            word = _compact(token)
            if word and MARK not in token and FAMILY_MARK not in token and prefix not in "おご" and not word.startswith("御") \
                    and word not in _NOT_NAMES and not word.endswith(_NOT_NAME_ENDINGS):
                found.append((start, end + 1, token))
        at = text.find("様", at + 1)
    return found


@dataclass(frozen=True)
class _NameIndex:
    heads: Mapping[str, tuple[tuple[str, str], ...]]


@lru_cache(maxsize=8)
def _name_index(names: tuple[str, ...]) -> _NameIndex:
    heads: dict[str, list[tuple[str, str]]] = {}
    for display in names:
        full = _compact(display)
        if len(full) >= 2:
            heads.setdefault(full[:2], []).append((display, full))
    return _NameIndex({k: tuple(v) for k, v in heads.items()})


def _leftovers(text: str, base: int, raw: list[_Raw], enabled: frozenset[str] | set[str]) -> None:
    if "leftover.template" in enabled and ("{" in text or "}" in text):
        for m in _TEMPLATE.finditer(text):
            raw.append(_Raw("leftover.template", base + m.start(), base + m.end(),
                            _("Template syntax left in the text."),
                            _("the text it should have become")))
    if "leftover.placeholder" in enabled:
        for m in _PLACEHOLDER.finditer(text):
            line_start = text.rfind("\n", 0, m.start()) + 1
            line_end = text.find("\n", m.end())
            line = text[line_start:line_end if line_end != -1 else len(text)].strip(" \u3000")
            if len(line) >= 3 and len(set(line)) == 1 and line[0] not in "〇○◯XxＸｘ":
                continue  # a divider line (＊＊＊＊＊)
            raw.append(_Raw("leftover.placeholder", base + m.start(), base + m.end(),
                            _("A placeholder left in the text."), _("the real value")))
    if "leftover.todo" in enabled:
        for m in _TODO.finditer(text):
            raw.append(_Raw("leftover.todo", base + m.start(), base + m.end(),
                            _("A note to self left in the text."),
                            _("resolve it and remove the note")))
    if "leftover.brackets" in enabled:
        for m in _EMPTY_BRACKETS.finditer(text):
            raw.append(_Raw("leftover.brackets", base + m.start(), base + m.end(),
                            _("Empty brackets: something that should be inside was left out."),
                            _("fill them in or remove them")))


def _mail(text: str, charset: str, fix: bool, raw: list[_Raw], enabled: frozenset[str] | set[str],
          *, in_name: bool = False) -> None:
    if "mail.charset" in enabled:
        for m in _BAD_CHARS.finditer(text):
            ch = m.group()
            what = (_("U+FFFD, the mark of text decoded with the wrong encoding") if ch == "\ufffd"
                    else _("the control character U+{code:04X}").format(code=ord(ch)))
            raw.append(_Raw("mail.charset", m.start(), m.end(),
                            _("The text holds {what}.").format(what=what), _("retype it")))
        if charset == "iso-2022-jp":
            try:
                text.encode("iso-2022-jp")
            except UnicodeEncodeError:
                starts = _Doc(text).starts
                for p in scan_iso2022jp(text):
                    if p.char in _STAND_INS or (fix and p.fixable and not in_name):
                        continue
                    start = starts[p.line - 1] + p.column - 1
                    if in_name:
                        hint = _("write this applicant's email in UTF-8 (a name is never altered)")
                    elif p.suggestion:
                        hint = _("{suggestion} (or --fix)").format(suggestion=p.suggestion)
                    else:
                        hint = _("reword it, or write the email in UTF-8")
                    raw.append(_Raw("mail.charset", start, start + len(p.char),
                                    _("ISO-2022-JP cannot carry {char!r} ({codes}).").format(
                                        char=p.char,
                                        codes=" ".join(f"U+{ord(c):04X}" for c in p.char)), hint))
    if "mail.kana" in enabled and charset != "iso-2022-jp":
        for m in _HALFWIDTH_KANA.finditer(text):
            raw.append(_Raw("mail.kana", m.start(), m.end(), _("Half-width kana."),
                            unicodedata.normalize("NFKC", m.group())))


# Every character a finding in a name could start with (most names hold none of them).
_NAME_SUSPECT = re.compile(
    "[〇○◯×✕✖XxＸｘ△▲□＊*●{}%#$TF要「」『』（）()【】［］\\[\\]〔〕〈〉《》“”\uff61-\uff9f"
    "\x00-\x1f\x7f\ufffd\ud800-\udfff]"
)


def _name_findings(name: str, charset: str, fix: bool, enabled: frozenset[str]) -> list[_Raw]:
    """What is wrong with the applicant's name itself (offsets within the name)."""
    if not _NAME_SUSPECT.search(name) and (charset == "utf-8" or _encodable(name, charset)):
        return []
    return _name_findings_of(name, charset, fix, enabled, language())


def _encodable(text: str, charset: str) -> bool:
    try:
        text.encode(charset)
    except UnicodeEncodeError:
        return False
    return True


@lru_cache(maxsize=4096)
def _name_findings_of(name: str, charset: str, fix: bool, enabled: frozenset[str],
                      lang: str) -> list[_Raw]:
    """Cached per language too: the findings are worded in ``lang``."""
    raw: list[_Raw] = []
    _leftovers(name, 0, raw, enabled)
    _mail(name, charset, fix, raw, enabled, in_name=True)
    return raw


# ---------------------------------------------------------------------------------------------
# One checker per profile, and the functions HR tools call


_CHECKERS = PerProfile(Checker)


def checker_for(profile: Profile) -> Checker:
    """A checker for this profile object, built once (it keeps what it has checked)."""
    return _CHECKERS(profile)


def check_message(
    message: Message,
    profile: Profile,
    *,
    on: dt.date | None = None,
    others: Iterable[str] = (),
    booking: Slot | None = None,
    charset: str = "utf-8",
    fix: bool = False,
) -> list[Finding]:
    """The findings of a composed or logged message (see ``Checker.check_message``)."""
    return checker_for(profile).check_message(message, on=on, others=others, booking=booking,
                                              charset=charset, fix=fix)


def check_text(
    text: str,
    profile: Profile,
    *,
    kind: str | None = None,
    result: str | None = None,
    candidate: Candidate | None = None,
    on: dt.date | None = None,
    others: Iterable[str] = (),
    booking: Slot | None = None,
    topics: Sequence[Topic] = (),
    charset: str = "utf-8",
    fix: bool = False,
    language: str | None = None,
) -> list[Finding]:
    """The findings of a draft's text (see ``Checker.check_text``)."""
    return checker_for(profile).check_text(text, kind=kind, result=result, candidate=candidate,
                                           on=on, others=others, booking=booking, topics=topics,
                                           charset=charset, fix=fix, language=language)


# ---------------------------------------------------------------------------------------------
# Drafts from files: text, .eml, JSON


@dataclass(frozen=True)
class DraftText:
    """A draft read from a file: its text (件名 first when it has one) and what the file says
    about it. ``message`` is set for a JSON draft (kizuna's own Message format)."""

    source: str
    text: str
    message: Message | None = None
    candidate: Candidate | None = None
    on: dt.date | None = None
    charset: str | None = None
    # What the file says the draft's language is (an .eml's Content-Language), if anything.
    language: str | None = None


_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")


def _fail(source: str, message: str, hint: str | None = None) -> InputError:
    return InputError(message, path=source, hint=hint)


def _read_bytes(path: str, stdin: bytes | None) -> bytes:
    if path == "-":
        return stdin or b""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise _fail(path, _("File not found.")) from None
    except IsADirectoryError:
        raise _fail(path, _("This is a folder, not a draft file.")) from None
    except OSError as exc:
        raise _fail(path, _("Cannot read the file: {reason}.").format(
            reason=exc.strerror or exc)) from None


def _decode(source: str, data: bytes) -> str:
    if b"\x00" in data[:65536]:
        raise _fail(source, _("This is a binary file, not a draft (it holds NUL bytes)."),
                    _("Give a text, .eml or JSON draft."))
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "cp932" and _PRIVATE_USE.search(text):
            continue  # bytes CP932 leaves undefined: not Shift_JIS text either
        controls = sum(1 for ch in text[:4096] if ch < " " and ch not in "\n\r\t\f")
        if controls > 8:
            raise _fail(source, _("This is a binary file, not a draft (it holds control bytes)."),
                        _("Give a text, .eml or JSON draft."))
        return text
    raise _fail(source, _("The file is in an unknown encoding: it is neither UTF-8 nor CP932 "
                          "(Shift_JIS) text."), _("Save it as UTF-8."))


def read_drafts(path: str, *, stdin: bytes | None = None) -> list[DraftText]:
    """The drafts in a file ('-' = ``stdin``): a text draft (a first line 件名：… is the
    subject), an .eml (its text/plain part, Subject, Date, To and charset), or JSON (one draft
    as ``kizuna draft --format json`` prints it, a list of them, or JSON Lines as a batch's
    messages.jsonl). An unreadable or binary file, or one in an unknown encoding, is an
    InputError naming the file."""
    data = _read_bytes(path, stdin)
    suffix = Path(path).suffix.lower() if path != "-" else ""
    head = data.lstrip()[:200]
    if suffix == ".eml" or (suffix == "" and re.match(rb"(?i)(?:[A-Za-z-]+:[^\n]*\r?\n)+", head)
                            and re.search(rb"(?im)^(?:subject|mime-version|from):", data[:4096])):
        return [_read_eml(path, data)]
    text = _decode(path, data)
    if suffix in (".json", ".jsonl") or (suffix in ("",) and text.lstrip().startswith(("{", "["))):
        return _read_json(path, text)
    return [DraftText(path, text.replace("\r\n", "\n").replace("\r", "\n"))]


def _read_eml(source: str, data: bytes) -> DraftText:
    if b"\x00" in data[:65536]:
        raise _fail(source, _("This is a binary file, not an email (it holds NUL bytes)."))
    parsed = email.parser.BytesParser(policy=email.policy.default).parsebytes(data)
    try:
        subject = str(parsed.get("subject", "") or "")
    except (LookupError, ValueError):
        raise _fail(source, _("The Subject header is in an unknown encoding.")) from None
    body_part = parsed.get_body(preferencelist=("plain",)) if hasattr(parsed, "get_body") else None
    if body_part is None:
        raise _fail(source, _("The email has no text/plain part to check."),
                    _("kizuna checks plain-text drafts; save the mail as plain text."))
    charset = (body_part.get_content_charset() or "us-ascii").lower()
    try:
        import codecs

        codecs.lookup(charset)
    except LookupError:
        raise _fail(source, _("The email's text is in an unknown encoding ({charset!r}).").format(
            charset=charset), _("Save the draft as UTF-8 or ISO-2022-JP.")) from None
    try:
        body = body_part.get_content()
    except (LookupError, UnicodeError, ValueError) as exc:
        raise _fail(source, _("The email's text cannot be decoded as {charset}: {reason}.").format(
            charset=charset, reason=exc)) from None
    if not isinstance(body, str):
        raise _fail(source, _("The email's text part is not text."))
    on = None
    try:
        date_header = parsed.get("date")
        moment = getattr(date_header, "datetime", None)
        if isinstance(moment, dt.datetime):
            on = (moment.astimezone(JST) if moment.tzinfo else moment).date()
    except (TypeError, ValueError):
        on = None
    candidate = None
    to = parsed.get("to")
    addresses = getattr(to, "addresses", ()) if to is not None else ()
    if addresses and addresses[0].display_name:
        candidate = Candidate(id="", name=addresses[0].display_name,
                              email=addresses[0].addr_spec or "")
    from .language import known_code

    language = known_code(str(parsed.get("content-language", "") or "").split(",")[0]) or None
    head = "Subject: " if language == "en" else "件名："
    text = f"{head}{subject}\n\n{body}".replace("\r\n", "\n").replace("\r", "\n")
    mail_charset = "iso-2022-jp" if charset.replace("_", "-") in ("iso-2022-jp", "iso2022-jp") else "utf-8"
    return DraftText(source, text, candidate=candidate, on=on, charset=mail_charset,
                     language=language)


def _read_json(source: str, text: str) -> list[DraftText]:
    items: list[Any]
    try:
        data = json.loads(text)
        items = data if isinstance(data, list) else [data]
    except json.JSONDecodeError as exc:
        items = []  # JSON Lines (a batch's messages.jsonl): one draft per line
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError:
                raise _fail(source, _("Not valid JSON: {reason} (line {line}, column "
                                      "{column}).").format(reason=exc.msg, line=exc.lineno,
                                                           column=exc.colno)) from None
    drafts: list[DraftText] = []
    for index, item in enumerate(items):
        where = source if len(items) == 1 else f"{source}[{index}]"
        drafts.append(_draft_from_json(where, item))
    if not drafts:
        raise _fail(source, _("The JSON holds no draft."))
    return drafts


def _draft_from_json(source: str, item: Any) -> DraftText:
    if not isinstance(item, Mapping) or not isinstance(item.get("body"), str):
        raise _fail(source, _("Expected a draft object with a 'body' (as `kizuna draft --format "
                              "json` prints it)."))

    def text_of(key: str, value: Any) -> str:
        if value is None:
            return ""
        if not isinstance(value, str):
            raise InputError(_("Expected a string, found {value!r}.").format(value=value),
                             path=source, field=key)
        return value

    def day_of(key: str) -> dt.date | None:
        value = text_of(key, item.get(key))
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            raise InputError(_("Expected a date as YYYY-MM-DD, found {value!r}.").format(
                value=value), path=source, field=key) from None

    person = item.get("candidate") or {}
    if not isinstance(person, Mapping):
        raise InputError(_("Expected an object."), path=source, field="candidate")
    name = text_of("candidate.name", person.get("name"))
    candidate = Candidate(id=text_of("candidate.id", person.get("id")) or "", name=name or "",
                          email=text_of("candidate.email", person.get("email")))
    try:
        slots = tuple(Slot.from_dict(s) for s in item.get("slots") or ())
        topics = tuple(
            Topic(id=str(t["id"]), source=t.get("source", "season"), role=t.get("role", "opening"),
                  tone=t.get("tone", "neutral"), text=str(t.get("text", "")))
            for t in item.get("topics") or ()
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        raise InputError(_("The slots or topics are not as kizuna writes them."), path=source,
                         field="slots") from None
    kind = text_of("kind", item.get("kind"))
    result = text_of("result", item.get("result")) or None
    on = day_of("date")
    from .language import language_code

    language = language_code(text_of("language", item.get("language")), field="language")
    message = Message(
        kind=kind, candidate=candidate, date=on or dt.datetime.now(JST).date(),
        subject=text_of("subject", item.get("subject")), body=item["body"], result=result,
        stage=text_of("stage", item.get("stage")) or None, topics=topics, slots=slots,
        deadline=day_of("deadline"),
        language=language or guess_language(item["body"], name or None),
    )
    return DraftText(source, message_text(message), message=message,
                     candidate=candidate if name else None, on=on, language=message.language)

