"""kizuna inbox: replies read from mail as clients write them, each booking the slot its
writer chose; mailboxes and messages that are not what they claim; a real IMAP server
(pymap on 127.0.0.1)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import quopri
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from mailservers import IMAP_PASSWORD, IMAP_USER, ImapServer, imap_append, imap_clear, imap_server

from kizuna import inbox, mailing, pipeline
from kizuna.cli import cli
from kizuna.errors import MailboxError, MailServerError
from kizuna.log import Log
from kizuna.log import holds as bookings
from kizuna.models import JST, Candidate, Slot
from kizuna.output.eml import message_id
from kizuna.profile import Profile, load_profile, sample_profile_text

ON = dt.date(2026, 11, 26)
REPLY_DAY = dt.date(2026, 11, 27)
DATE = "Fri, 27 Nov 2026 12:34:56 +0900"
ORG = "dx-saiyo@example.lg.jp"

YAMADA = Candidate("A-0001", "山田 太郎", email="taro.yamada@example.jp")
SATO = Candidate("A-0002", "佐藤 花子", email="hanako.sato@example.jp")
KUDO = Candidate("A-0003", "工藤 健", email="ken.kudo@example.jp")
PEOPLE = (YAMADA, SATO, KUDO)


@dataclass
class Invited:
    candidate: Candidate
    exchange_id: int
    message_id: str
    subject: str
    body: str
    slots: tuple[Slot, ...]


@pytest.fixture
def profile() -> Profile:
    return load_profile()


@pytest.fixture
def invited(db_path: Path, profile: Profile) -> dict[str, Invited]:
    """An interview invitation drafted and sent (as `kizuna send` records it) to each."""
    found = {}
    with Log.open(db_path) as log:
        for person in PEOPLE:
            drafted = pipeline.draft_message(profile, "interview_invitation", person, on=ON,
                                             log=log, stage="interview1")
            assert drafted.exchange is not None
            mid = message_id(drafted.message, profile, exchange_id=drafted.exchange.id)
            log.mark_sending(drafted.exchange.id, mid)
            log.mark_delivered(drafted.exchange.id, "250 2.0.0 Ok")
            found[person.id] = Invited(person, drafted.exchange.id, mid, drafted.message.subject,
                                       drafted.message.body, drafted.message.slots)
    # Three people were offered different times.
    assert len({s.start for i in found.values() for s in i.slots}) == 9
    return found


# ---------------------------------------------------------------------- how clients write


def cp50220(text: str) -> bytes:
    """ISO-2022-JP as Outlook writes it (CP50220): JIS X 0208 plus NEC row 13 (①, Ⅲ, ㈱),
    each character through its CP932 code."""
    out = bytearray()
    mode = "ascii"
    for ch in text:
        if ord(ch) < 0x80:
            if mode != "ascii":
                out += b"\x1b(B"
                mode = "ascii"
            out += ch.encode("ascii")
            continue
        s1, s2 = ch.encode("cp932")
        if s1 >= 0xE0:
            s1 -= 0x40
        j1 = (s1 - 0x81) * 2 + 0x21
        if s2 >= 0x9F:
            j1, j2 = j1 + 1, s2 - 0x7E
        else:
            j2 = s2 - (0x1F if s2 < 0x7F else 0x20)
        if mode != "jis":
            out += b"\x1b$B"
            mode = "jis"
        out += bytes((j1, j2))
    if mode != "ascii":
        out += b"\x1b(B"
    return bytes(out)


def word(text: str, charset: str) -> str:
    """One RFC 2047 encoded word."""
    data = cp50220(text) if charset == "ISO-2022-JP" else text.encode(charset)
    return f"=?{charset}?B?{base64.b64encode(data).decode()}?="


def crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def outlook(inv: Invited, choice: str) -> bytes:
    """Outlook (Japanese): top-posted, the original below a 差出人/送信日時 block, unmarked."""
    body = (f"北上様\n\nお世話になっております。{inv.candidate.name}です。\n"
            f"{choice}\nよろしくお願いいたします。\n\n"
            "________________________________\n"
            f"差出人: 北上市 北上 花子 <{ORG}>\n"
            "送信日時: 2026年11月26日 10:00\n"
            f"宛先: {inv.candidate.name} <{inv.candidate.email}>\n"
            f"件名: {inv.subject}\n\n{inv.body}")
    head = crlf(
        f"From: {word(inv.candidate.name, 'ISO-2022-JP')} <{inv.candidate.email}>\n"
        f"To: {word('北上市 北上 花子', 'ISO-2022-JP')} <{ORG}>\n"
        f"Subject: {word('RE: ' + inv.subject, 'ISO-2022-JP')}\n"
        f"Date: {DATE}\n"
        f"Message-ID: <OS3P286MB1234.{inv.candidate.id}@outlook.example>\n"
        f"In-Reply-To: {inv.message_id}\nReferences: {inv.message_id}\n"
        "X-Mailer: Microsoft Outlook 16.0\nMIME-Version: 1.0\n"
        'Content-Type: text/plain; charset="iso-2022-jp"\nContent-Transfer-Encoding: 7bit\n\n'
    )
    return head.encode("ascii") + cp50220(crlf(body))


def thunderbird(inv: Invited, choice: str) -> bytes:
    """Thunderbird (Japanese): 「2026/11/26 10:00, … wrote:」, then ``>`` lines."""
    quoted = "\n".join(f"> {line}" if line else ">" for line in inv.body.splitlines())
    body = (f"{choice}\nよろしくお願いいたします。\n\n{inv.candidate.name}\n\n"
            f"2026/11/26 10:00, 北上市 北上 花子 wrote:\n{quoted}\n")
    head = crlf(
        f"Message-ID: <a1b2c3.{inv.candidate.id}@thunderbird.example>\n"
        f"Date: {DATE}\nMIME-Version: 1.0\n"
        "User-Agent: Mozilla Thunderbird\n"
        f"Subject: {word('Re: ' + inv.subject, 'ISO-2022-JP')}\n"
        f"To: {ORG}\n"
        f"References: <unrelated.thread@example.jp> {inv.message_id}\n"
        f"From: {word(inv.candidate.name, 'ISO-2022-JP')} <{inv.candidate.email}>\n"
        "Content-Type: text/plain; charset=ISO-2022-JP; format=flowed; delsp=yes\n"
        "Content-Transfer-Encoding: 7bit\n\n"
    )
    return head.encode("ascii") + cp50220(crlf(body))


def gmail_html_only(inv: Invited, choice: str) -> bytes:
    """Gmail, HTML only: the quote is a gmail_quote blockquote under a Japanese attribution."""
    lines = "<br>".join(inv.body.splitlines())
    html = (f'<div dir="ltr">{choice}<br>よろしくお願いいたします。<br></div><br>'
            '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
            f'2026年11月26日(木) 10:00 北上市 北上 花子 &lt;<a href="mailto:{ORG}">{ORG}</a>&gt;:<br>'
            '</div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;'
            f'border-left:1px solid rgb(204,204,204);padding-left:1ex">{lines}</blockquote></div>')
    encoded = base64.encodebytes(html.encode("utf-8")).decode("ascii")
    head = (
        "MIME-Version: 1.0\n"
        f"Date: {DATE}\n"
        f"References: {inv.message_id}\nIn-Reply-To: {inv.message_id}\n"
        f"Message-ID: <CAF=gmail.{inv.candidate.id}@mail.gmail.com>\n"
        f"Subject: {word('Re: ' + inv.subject, 'UTF-8')}\n"
        f"From: {word(inv.candidate.name, 'UTF-8')} <{inv.candidate.email}>\n"
        f"To: {ORG}\n"
        'Content-Type: text/html; charset="UTF-8"\nContent-Transfer-Encoding: base64\n\n'
    )
    return crlf(head + encoded).encode("ascii")


def phone_cp932(inv: Invited, choice: str) -> bytes:
    """A phone mailer: short Shift_JIS (CP932) text, 8bit, no threading headers."""
    head = crlf(
        f"From: {inv.candidate.email}\nTo: {ORG}\n"
        f"Subject: {word('Re:面接日程', 'Shift_JIS')}\nDate: {DATE}\n"
        f"Message-ID: <20261127123456.{inv.candidate.id}@docomo.example>\n"
        "MIME-Version: 1.0\nContent-Type: text/plain; charset=Shift_JIS\n"
        "Content-Transfer-Encoding: 8bit\n\n"
    )
    return head.encode("ascii") + crlf(f"{choice}\n{inv.candidate.name}").encode("cp932")


def with_attachment(inv: Invited, choice: str, *, sender: str = "kudo.work@example.co.jp",
                    pdf: bytes = b"%PDF-1.4 " + b"x" * 2000) -> bytes:
    """From another address, the applicant number in the subject, a PDF attached."""
    text = quopri.encodestring(f"{choice}\n履歴書を添付いたします。\n".encode()).decode("ascii")
    attachment = base64.encodebytes(pdf).decode("ascii")
    head = (
        f"From: {sender}\nTo: {ORG}\n"
        f"Subject: {word(f'面接日程の件（応募番号 {inv.candidate.id}）', 'UTF-8')}\n"
        f"Date: {DATE}\nMessage-ID: <att.{inv.candidate.id}@example.co.jp>\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="BOUNDARY"\n\n'
        "--BOUNDARY\nContent-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: quoted-printable\n\n"
        f"{text}\n"
        "--BOUNDARY\nContent-Type: application/pdf; name=\"resume.pdf\"\n"
        "Content-Disposition: attachment; filename*=UTF-8''%E5%B1%A5%E6%AD%B4%E6%9B%B8.pdf\n"
        "Content-Transfer-Encoding: base64\n\n"
        f"{attachment}\n--BOUNDARY--\n"
    )
    return crlf(head).encode("ascii")


def run(db: Path, *args: str, stdin: bytes | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--db", str(db), *args], input=stdin)
    assert not isinstance(result.exception, AssertionError | TypeError | AttributeError | KeyError), result
    return result.exit_code, result.output


def booked(db: Path, candidate_id: str) -> Slot | None:
    with Log.open(db) as log:
        return bookings.booked_slot(log, candidate_id)


# ---------------------------------------------------------------------- the corpus


@pytest.mark.parametrize(("write", "person", "choice", "number", "matched_by"), [
    (outlook, YAMADA, "②の日程でお願いいたします。", 2, "thread"),
    (thunderbird, SATO, "3番目の日時で参加いたします。", 3, "thread"),
    (gmail_html_only, KUDO, "第一希望は1番です。", 1, "thread"),
    (phone_cp932, SATO, "２番でお願いします", 2, "address"),
    (with_attachment, KUDO, "③でお願いします。", 3, "subject"),
], ids=["outlook-iso2022jp", "thunderbird-iso2022jp", "gmail-html-only", "phone-cp932",
        "attachment"])
def test_each_reply_books_exactly_the_slot_its_writer_chose(
    tmp_path: Path, db_path: Path, invited: dict[str, Invited], write, person: Candidate,
    choice: str, number: int, matched_by: str,
) -> None:
    inv = invited[person.id]
    path = tmp_path / "reply.eml"
    path.write_bytes(write(inv, choice))
    code, output = run(db_path, "inbox", str(path), "--date", "2026-11-27")
    assert code == 0, output
    assert f"{person.id} recorded (by {matched_by})" in output
    assert booked(db_path, person.id) == inv.slots[number - 1]
    for other in PEOPLE:  # nobody else was booked
        if other.id != person.id:
            assert booked(db_path, other.id) is None
    with Log.open(db_path) as log:
        timeline = log.timeline(person.id)
    reply, confirmation = timeline[-2:]
    assert reply.direction == "in" and reply.matched_by == matched_by
    assert reply.sent_at == "2026-11-27T12:34:56+09:00"  # its Date, not the import's time
    assert reply.message_id is not None and reply.idempotency_key == f"mail:{reply.message_id}"
    assert choice.replace("２", "２") in reply.body  # decoded, as the writer wrote it
    assert "\ufffd" not in reply.body
    assert confirmation.kind == "interview_confirmation"
    assert confirmation.slots == (inv.slots[number - 1],)
    assert f"Drafted interview_confirmation for {person.id} as exchange {confirmation.id}." in output


def test_an_attachment_is_listed_by_name_and_size(
    tmp_path: Path, db_path: Path, invited: dict[str, Invited]
) -> None:
    path = tmp_path / "reply.eml"
    path.write_bytes(with_attachment(invited["A-0003"], "1番でお願いします。", pdf=b"%PDF" * 300))
    code, output = run(db_path, "inbox", str(path), "--date", "2026-11-27")
    assert code == 0, output
    with Log.open(db_path) as log:
        reply = log.timeline("A-0003")[-2]
    assert [a.to_dict() for a in reply.attachments] == [
        {"name": "履歴書.pdf", "size": 1200, "content_type": "application/pdf"}]
    assert "履歴書を添付いたします。" in reply.body


def test_the_same_message_imported_twice_is_one_row(
    tmp_path: Path, db_path: Path, invited: dict[str, Invited]
) -> None:
    raw = outlook(invited["A-0001"], "2番でお願いします。")
    path = tmp_path / "reply.eml"
    path.write_bytes(raw)
    assert run(db_path, "inbox", str(path), "--date", "2026-11-27")[0] == 0
    code, output = run(db_path, "inbox", str(path), "--date", "2026-11-28")
    assert code == 0 and "A-0001 duplicate (by thread)" in output
    assert "the same Message-ID" in output
    # The same message through another door (`kizuna reply --file`) is that row too.
    code, output = run(db_path, "reply", "A-0001", "--file", str(path))
    assert code == 0 and "already recorded" in output
    with Log.open(db_path) as log:
        timeline = log.timeline("A-0001")
    assert [e.direction for e in timeline] == ["out", "in", "out"]


def test_reply_file_reads_an_eml_as_mail(tmp_path: Path, db_path: Path,
                                         invited: dict[str, Invited]) -> None:
    path = tmp_path / "reply.eml"
    path.write_bytes(thunderbird(invited["A-0002"], "1番でお願いします。"))
    code, output = run(db_path, "reply", "A-0002", "--file", str(path))
    assert code == 0, output
    assert booked(db_path, "A-0002") == invited["A-0002"].slots[0]
    with Log.open(db_path) as log:
        reply = log.timeline("A-0002")[1]
    assert reply.matched_by == "given" and reply.subject.startswith("Re: 【北上市】")
    assert "Content-Transfer-Encoding" not in reply.body and "1番でお願いします。" in reply.body
    assert reply.sent_at == "2026-11-27T12:34:56+09:00"


def test_an_unmatched_message_is_kept_listed_and_imported_later(
    tmp_path: Path, db_path: Path, invited: dict[str, Invited], profile: Profile
) -> None:
    newcomer = Candidate("A-0042", "北上 次郎", email="jiro@example.jp")
    raw = crlf(f"From: jiro@example.jp\nTo: {ORG}\nSubject: 質問\nDate: {DATE}\n"
               "Message-ID: <q1@example.jp>\n\n応募について質問があります。\n").encode()
    path = tmp_path / "question.eml"
    path.write_bytes(raw)
    code, output = run(db_path, "inbox", str(path))
    assert code == 0, output
    assert "kept. No applicant found: it names no earlier message" in output
    assert "jiro@example.jp is the address of no applicant" in output
    assert "Kept for a later import (1):" in output and "#1 jiro@example.jp '質問'" in output
    code, output = run(db_path, "inbox", str(path))  # kept once, not twice
    assert output.count("#1 jiro@example.jp") == 1 and "#2" not in output
    with Log.open(db_path) as log:
        assert [k.message_id for k in log.kept_mail()] == ["<q1@example.jp>"]
        log.upsert_candidate(newcomer)
    code, output = run(db_path, "inbox")  # no source: the kept ones are tried again
    assert code == 0, output
    assert "A-0042 recorded (by address). (kept #1 until now)" in output
    assert "Kept for a later import" not in output
    with Log.open(db_path) as log:
        assert log.kept_mail() == []
        assert log.timeline("A-0042")[0].body.startswith("応募について質問があります。")


def test_two_applicants_with_one_address_are_never_guessed(
    tmp_path: Path, db_path: Path, invited: dict[str, Invited]
) -> None:
    with Log.open(db_path) as log:
        log.upsert_candidate(Candidate("A-0009", "山田 花子", email="TARO.YAMADA@example.jp"))
    path = tmp_path / "reply.eml"
    path.write_bytes(phone_cp932(invited["A-0001"], "1番で"))
    code, output = run(db_path, "inbox", str(path))
    assert "several applicants (A-0001, A-0009)" in output and "kept" in output
    assert booked(db_path, "A-0001") is None


def test_an_mbox_with_a_corrupt_message_lists_it_and_imports_the_rest(
    tmp_path: Path, db_path: Path, invited: dict[str, Invited]
) -> None:
    first = outlook(invited["A-0001"], "1番でお願いします。")
    second = thunderbird(invited["A-0002"], "2番でお願いします。").replace(
        b"\r\nFrom ", b"\r\n>From ")
    parts = [b"From taro@example.jp Fri Nov 27 12:34:56 2026\n" + first.replace(b"\r\n", b"\n"),
             b"From nobody Fri Nov 27 12:35:00 2026\n\x00\x01\x02 garbage, no headers\n\xff\xfe",
             b"From hanako@example.jp Fri Nov 27 12:36:00 2026\n" + second.replace(b"\r\n", b"\n")]
    mbox = tmp_path / "replies.mbox"
    mbox.write_bytes(b"\n\n".join(parts) + b"\n")
    code, output = run(db_path, "inbox", str(mbox), "--date", "2026-11-27")
    assert code == 0, output
    lines = output.splitlines()
    bad = next(line for line in lines if "unreadable" in line)
    assert bad.startswith(f"{mbox}: message 2 (line ")
    assert "not a mail message" in bad
    assert "3 messages: 2 recorded, 0 duplicate, 0 kept, 1 unreadable, 0 own." in output
    assert booked(db_path, "A-0001") == invited["A-0001"].slots[0]
    assert booked(db_path, "A-0002") == invited["A-0002"].slots[1]


def test_kizunas_own_message_seen_again_is_not_a_reply(
    tmp_path: Path, db_path: Path, invited: dict[str, Invited]
) -> None:
    inv = invited["A-0001"]
    raw = crlf(f"From: {ORG}\nTo: {inv.candidate.email}\nSubject: x\nDate: {DATE}\n"
               f"Message-ID: {inv.message_id}\n\n{inv.body}\n").encode()
    (tmp_path / "own.eml").write_bytes(raw)
    code, output = run(db_path, "inbox", str(tmp_path / "own.eml"))
    assert code == 0 and f"own. it is exchange #{inv.exchange_id}, which kizuna sent" in output


def test_a_maildir_and_stdin(tmp_path: Path, db_path: Path, invited: dict[str, Invited]) -> None:
    maildir = tmp_path / "Maildir"
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "new" / "1700000000.1.host").write_bytes(
        gmail_html_only(invited["A-0003"], "2番でお願いします。"))
    (maildir / "cur" / "1700000001.2.host:2,S").write_bytes(
        outlook(invited["A-0001"], "3番でお願いします。"))
    code, output = run(db_path, "inbox", str(maildir), "--date", "2026-11-27")
    assert code == 0, output
    assert f"{maildir}: new/1700000000.1.host: A-0003 recorded" in output
    assert booked(db_path, "A-0003") == invited["A-0003"].slots[1]
    assert booked(db_path, "A-0001") == invited["A-0001"].slots[2]
    code, output = run(db_path, "inbox", "-", "--date", "2026-11-27",
                       stdin=phone_cp932(invited["A-0002"], "1番でお願いします"))
    assert code == 0 and "<stdin>: the message: A-0002 recorded (by address)" in output
    assert booked(db_path, "A-0002") == invited["A-0002"].slots[0]


def test_what_is_not_a_mailbox_is_named_with_why(tmp_path: Path, db_path: Path) -> None:
    csv = tmp_path / "applicants.csv"
    csv.write_text("応募番号,氏名\nA-0001,山田 太郎\n", encoding="utf-8")
    code, output = run(db_path, "inbox", str(csv))
    assert code == 1
    assert f"{csv}: Not a mailbox: it does not start with an mbox 'From ' line" in output
    assert "'応募番号,氏名'" in output and "Traceback" not in output
    folder = tmp_path / "photos"
    folder.mkdir()
    code, output = run(db_path, "inbox", str(folder))
    assert code == 1 and f"{folder}: Not a Maildir" in output
    empty = tmp_path / "empty.mbox"
    empty.write_bytes(b"")
    code, output = run(db_path, "inbox", str(empty))
    assert code == 1 and "the input is empty" in output
    code, output = run(db_path, "inbox", str(tmp_path / "missing.mbox"))
    assert code == 1 and "No such file or folder." in output


def test_the_library_imports_messages_an_hr_tool_fetched(
    db_path: Path, invited: dict[str, Invited], profile: Profile
) -> None:
    with Log.open(db_path) as log:
        report = mailing.import_messages(
            profile, log, [outlook(invited["A-0001"], "1番で"), b"junk"], on=REPLY_DAY)
    assert [e.outcome for e in report.entries] == ["recorded", "unreadable"]
    assert report.entries[0].reply is not None and report.entries[0].reply.booked is not None
    assert [k.position for k in report.kept] == ["message 2"]
    json.dumps(report.to_dict())


# ---------------------------------------------------------------------- decoding


def test_iso2022jp_with_microsofts_characters_and_half_width_kana() -> None:
    text = "①②Ⅲ㈱髙橋 №1 ～"
    assert inbox.decode_bytes(cp50220(text), "iso-2022-jp") == text
    kana = b"\x1b(I" + "ｶﾀｶﾅ".encode("cp932").translate(bytes(range(128)) + bytes(
        (b - 0x80) if b >= 0xA1 else b for b in range(128, 256))) + b"\x1b(B"
    assert inbox.decode_bytes(kana, "ISO-2022-JP") == "ｶﾀｶﾅ"
    assert inbox.decode_bytes("①です".encode("cp932"), "Shift_JIS") == "①です"
    assert inbox.decode_bytes("①です".encode("cp932"), "utf-8") == "①です"  # a label that lies
    assert inbox.decode_bytes("ｅｕｃ".encode("euc_jp"), "EUC-JP") == "ｅｕｃ"
    assert inbox.decode_bytes(b"\xff\xfe", "x-unknown-charset") == "\ufffd\ufffd"
    assert inbox.decode_header_text(word("①の件", "ISO-2022-JP")) == "①の件"


def test_multipart_alternative_prefers_the_text_part() -> None:
    raw = crlf(
        "From: a@example.jp\nSubject: x\nDate: " + DATE + "\nMIME-Version: 1.0\n"
        'Content-Type: multipart/alternative; boundary="b"\n\n'
        "--b\nContent-Type: text/plain; charset=utf-8\n\n2番です\n"
        "--b\nContent-Type: text/html; charset=utf-8\n\n<p>1番です</p>\n--b--\n"
    ).encode()
    mail = inbox.parse_message(raw)
    assert mail.text.strip() == "2番です" and not mail.html


# ---------------------------------------------------------------------- IMAP (pymap)


@pytest.fixture(scope="module")
def imap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ImapServer]:
    with imap_server(tmp_path_factory.mktemp("pymap")) as server:
        yield server


def imap_profile(tmp_path: Path, server: ImapServer, **extra: object) -> Path:
    settings: dict[str, object] = {"host": server.host, "port": server.port,
                                   "security": "none", "user": IMAP_USER, "timeout_seconds": 5}
    settings.update(extra)
    lines = ["", "[mail.imap]"] + [f"{k} = {json.dumps(v)}" for k, v in settings.items()]
    path = tmp_path / "kizuna.toml"
    path.write_text(sample_profile_text() + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_imap_imports_only_what_was_not_read_yet(
    tmp_path: Path, db_path: Path, invited: dict[str, Invited], imap: ImapServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    imap_clear(imap)
    monkeypatch.setenv("KIZUNA_IMAP_PASSWORD", IMAP_PASSWORD)
    profile = imap_profile(tmp_path, imap)
    stranger = crlf(f"From: who@example.jp\nTo: {ORG}\nSubject: ?\nDate: {DATE}\n"
                    "Message-ID: <s1@example.jp>\n\nこんにちは\n").encode()
    imap_append(imap, [outlook(invited["A-0001"], "2番でお願いします。"), stranger])
    args = ["--profile", str(profile), "inbox", "--imap", "--date", "2026-11-27"]
    code, output = run(db_path, *args)
    assert code == 0, output
    assert "A-0001 recorded (by thread)" in output and "UID " in output
    assert "2 messages: 1 recorded, 0 duplicate, 1 kept" in output
    assert booked(db_path, "A-0001") == invited["A-0001"].slots[1]
    # Nothing new: nothing is read again (the kept one is only tried again, and stays kept).
    code, output = run(db_path, *args)
    assert code == 0 and "0 messages" in output and "Kept for a later import (1)" in output
    imap_append(imap, [gmail_html_only(invited["A-0003"], "1番でお願いします。")])
    code, output = run(db_path, *args)
    assert code == 0 and "1 messages: 1 recorded" in output
    assert booked(db_path, "A-0003") == invited["A-0003"].slots[0]
    with Log.open(db_path) as log:
        assert [e.direction for e in log.timeline("A-0001")] == ["out", "in", "out"]


def test_imap_with_a_wrong_password_reads_nothing(
    tmp_path: Path, db_path: Path, imap: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIZUNA_IMAP_PASSWORD", "wrong")
    code, output = run(db_path, "--profile", str(imap_profile(tmp_path, imap)), "inbox", "--imap")
    assert code == 1 and f"refused the login for {IMAP_USER}" in output
    code, output = run(db_path, "inbox", "--imap")
    assert code == 1 and "no [mail.imap] table" in output


def test_imap_server_unreachable(tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mailservers import free_port

    monkeypatch.setenv("KIZUNA_IMAP_PASSWORD", IMAP_PASSWORD)
    fake = ImapServer("127.0.0.1", free_port(), None)  # type: ignore[arg-type]
    code, output = run(db_path, "--profile", str(imap_profile(tmp_path, fake)), "inbox", "--imap")
    assert code == 1 and "Cannot reach the IMAP server" in output


def test_imap_errors_are_mail_server_errors(profile: Profile) -> None:
    with pytest.raises(MailServerError, match="No password"):
        list(inbox.fetch_imap("127.0.0.1", 1, security="none", user="x", password=None,
                              folder="INBOX", timeout=1, after=None))
    with pytest.raises(MailboxError):
        list(inbox.read_bytes(b"not mail at all", "x"))
    assert JST  # the module's dates are JST


def test_imap_starttls_with_the_profiles_ca_file(
    tmp_path: Path, db_path: Path, invited: dict[str, Invited], monkeypatch: pytest.MonkeyPatch
) -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("KIZUNA_IMAP_PASSWORD", IMAP_PASSWORD)
    with imap_server(tmp_path, cert=(tmp_path / "cert.pem", tmp_path / "key.pem")) as server:
        imap_append(server, [outlook(invited["A-0001"], "3番でお願いします。")])
        untrusted = imap_profile(tmp_path, server, security="starttls")
        code, output = run(db_path, "--profile", str(untrusted), "inbox", "--imap")
        assert code == 1 and "TLS with the IMAP server" in output and "CERTIFICATE" in output
        trusted = imap_profile(tmp_path, server, security="starttls", ca_file="ca.pem")
        code, output = run(db_path, "--profile", str(trusted), "inbox", "--imap", "--date",
                           "2026-11-27")
        assert code == 0, output
    assert booked(db_path, "A-0001") == invited["A-0001"].slots[2]
