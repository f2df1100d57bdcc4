"""What an applicant's reply mentions besides the slot it chooses: how they will travel, and
the questions they ask, so that the confirmation answers what they wrote (FACTS §8).

The reply is read as ``kizuna.replytext`` makes it (HTML made plain, quoted mail and
signatures cut), so a question in the quoted invitation is never taken for theirs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .replytext import reply_text

# Travel modes, in the order a journey takes them (a confirmation names them so); each
# pattern matches the words an applicant uses for it. 車 alone is also the end of 電車 and 列車, hence the look-behind.
# English replies are read with the same patterns ("I'll fly to Haneda and take the
# Shinkansen", "by bullet train", "I will drive").
TRAVEL_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("plane", re.compile(r"飛行機|空路|空港|(?i:\b(?:fly|flying|flight|plane|airport)\b)")),
    ("shinkansen", re.compile(r"新幹線|(?i:shinkansen|bullet train)")),
    ("train", re.compile(r"電車|在来線|列車|JR|東北本線|北上線|(?i:(?<!bullet )\btrains?\b|\brailway\b)")),
    ("bus", re.compile(r"(?<![a-zA-Z])バス|(?i:\b(?:bus|coach)\b)")),
    ("taxi", re.compile(r"タクシー|(?i:\b(?:taxi|cab)\b)")),
    ("car", re.compile(r"自家用車|マイカー|レンタカー|自動車|(?<![電列馬])車で|お車|運転して"
                       r"|(?i:\b(?:drive|driving|by car|rental car|hire car)\b)")),
)

# A sentence ends at 。？！ (full- or half-width), a line break, or a full stop before a space.
_SENTENCE = re.compile(r"(?:[^。？！?!.\n]|\.(?!\s|$))+[。？！?!.]*")
_ASKS = re.compile(r"[？?]|でしょうか|ますか|ですか|教えて|伺いたい|お聞きしたい|質問|確認させて")
# A question about the choice itself (「②でよろしいでしょうか」) is answered by the
# confirmation, not by the recruiter.
_ABOUT_THE_CHOICE = re.compile(
    r"[①-⑳]|\d\s*番|[一二三四五六七八九十]番|第\s*[一二三1-9]\s*希望"
    r"|(?i:\boption\s*#?\d|\bthe (?:first|second|third|last) (?:one|option)\b)"
)


@dataclass(frozen=True)
class Mentions:
    """What a reply mentions: travel modes (ids of TRAVEL_PATTERNS, in that order) and the
    sentences that ask something, as written."""

    travel: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()


def read_mentions(raw: str) -> Mentions:
    """The travel modes and questions of a reply as the applicant wrote it."""
    text = reply_text(raw)
    travel = tuple(mode for mode, pattern in TRAVEL_PATTERNS if pattern.search(text))
    questions = []
    for match in _SENTENCE.finditer(text):
        sentence = match.group().strip(" \u3000\t")
        if sentence and _ASKS.search(sentence) and not _ABOUT_THE_CHOICE.search(sentence):
            questions.append(sentence)
    return Mentions(travel=travel, questions=tuple(dict.fromkeys(questions)))
