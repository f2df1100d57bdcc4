"""kizuna send: drafts handed to a real SMTP server (aiosmtpd on 127.0.0.1), at most once each.

The server refuses a recipient, drops the connection during DATA, answers past the timeout,
refuses a wrong password; a sender killed with SIGKILL in the middle of 50 messages leaves
at most one message 'sending', which no later run sends by itself.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import ssl
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from click.testing import CliRunner
from mailservers import SMTP_PASSWORD, SMTP_USER, Recorder, silent_server, smtp_server

from kizuna import mailing, pipeline
from kizuna.cli import cli
from kizuna.errors import InputError, MailError, ProfileError
from kizuna.log import Log
from kizuna.models import JST, Candidate
from kizuna.profile import Profile, load_profile, sample_profile_text

ON = dt.date(2026, 11, 26)
NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=JST)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[int, Recorder]]:
    with smtp_server() as (controller, recorder):
        yield controller.port, recorder


@pytest.fixture
def smtp(server: tuple[int, Recorder], monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = server[1]
    recorder.reset()
    monkeypatch.setenv("KIZUNA_SMTP_PASSWORD", SMTP_PASSWORD)
    return recorder


def mail_profile(tmp_path: Path, port: int, **extra: object) -> Path:
    settings: dict[str, object] = {
        "host": "127.0.0.1", "port": port, "security": "none", "user": SMTP_USER,
        "timeout_seconds": 2, "rate_per_minute": 6000,
    }
    settings.update(extra)
    lines = ["", "[mail]"] + [f"{k} = {json.dumps(v)}" for k, v in settings.items()]
    path = tmp_path / "kizuna.toml"
    path.write_text(sample_profile_text() + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def person(i: int) -> Candidate:
    return Candidate(id=f"C-{i:04d}", name=f"北上 太郎{i}", email=f"c{i:04d}@example.jp")


def make_drafts(db: Path, count: int, profile: Profile | None = None) -> list[int]:
    profile = profile or load_profile()
    ids = []
    with Log.open(db) as log:
        for i in range(1, count + 1):
            drafted = pipeline.draft_message(profile, "screening_result", person(i), on=ON,
                                             log=log, result="passed", stage="screening")
            assert drafted.exchange is not None
            ids.append(drafted.exchange.id)
    return ids


def statuses(db: Path) -> dict[int, str]:
    with Log.open(db) as log:
        return {e.id: e.status for e in log.timeline() if e.direction == "out"}


def run(args: list[str], profile: Path, db: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--profile", str(profile), "--db", str(db), *args])
    assert not isinstance(result.exception, AssertionError | TypeError | AttributeError), result
    return result.exit_code, result.output


def header(value: str | None) -> str:
    return str(make_header(decode_header(value or "")))


# ------------------------------------------------------------------------------ sending


def test_send_drafts_records_each_message_id_and_server_reply(
    tmp_path: Path, db_path: Path, server: tuple[int, Recorder], smtp: Recorder
) -> None:
    profile = mail_profile(tmp_path, server[0])
    ids = make_drafts(db_path, 3)
    code, output = run(["send", "--drafts"], profile, db_path)
    assert code == 0, output
    assert "3 sent, 0 failed, 0 unanswered, 0 skipped." in output
    assert [r.rcpt_tos for r in smtp.received] == [[f"c{i:04d}@example.jp"] for i in (1, 2, 3)]
    assert {r.mail_from for r in smtp.received} == {"dx-saiyo@example.lg.jp"}
    with Log.open(db_path) as log:
        exchanges = [log.get_exchange(i) for i in ids]
    for exchange, received in zip(exchanges, smtp.received, strict=True):
        message = received.message
        assert exchange.status == "sent"
        assert exchange.message_id == message["Message-ID"]
        assert exchange.message_id.startswith("<kizuna.") and exchange.message_id.endswith(
            f".{exchange.id}@example.lg.jp>")
        assert exchange.server_reply is not None and exchange.server_reply.startswith("250 2.0.0")
        assert message["X-Unsent"] is None  # a sent message is not a draft
        assert message["Bcc"] is None
        assert header(message["Subject"]) == exchange.subject
        body = message.get_payload(decode=True)
        assert isinstance(body, bytes)
        assert body.decode("utf-8").replace("\r\n", "\n").strip() == exchange.body.strip()
    # Run again: nothing is sent twice.
    code, output = run(["send", "--drafts"], profile, db_path)
    assert code == 0 and "0 sent" in output
    code, output = run(["send", str(ids[0])], profile, db_path)
    assert code == 0 and "already sent at" in output
    assert smtp.count() == 3


def test_a_draft_in_iso2022jp_is_sent_in_iso2022jp(
    tmp_path: Path, db_path: Path, server: tuple[int, Recorder], smtp: Recorder
) -> None:
    profile_path = mail_profile(tmp_path, server[0])
    profile = load_profile(profile_path)
    with Log.open(db_path) as log:
        written = pipeline.draft_output(profile, "screening_result", person(1), on=ON, log=log,
                                        result="passed", stage="screening", fmt="eml",
                                        charset="iso-2022-jp")
    assert written.exchange is not None and written.exchange.charset == "iso-2022-jp"
    code, output = run(["send", str(written.exchange.id)], profile_path, db_path)
    assert code == 0, output
    (received,) = smtp.received
    assert b"=?iso-2022-jp?" in received.data and received.data.isascii()
    part = received.message
    assert part.get_content_charset() == "iso-2022-jp"
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    assert payload.decode("iso-2022-jp").replace("\r\n", "\n").strip() == written.message.body.strip()


def test_the_archive_gets_a_blind_copy(
    tmp_path: Path, db_path: Path, server: tuple[int, Recorder], smtp: Recorder
) -> None:
    profile = mail_profile(tmp_path, server[0], archive_bcc="archive@example.lg.jp")
    make_drafts(db_path, 1)
    code, output = run(["send", "--drafts"], profile, db_path)
    assert code == 0, output
    (received,) = smtp.received
    assert received.rcpt_tos == ["c0001@example.jp", "archive@example.lg.jp"]
    assert received.message["Bcc"] is None and "archive@" not in received.data.decode()


def test_a_refused_recipient_is_failed_with_the_reason_and_can_be_sent_later(
    tmp_path: Path, db_path: Path, server: tuple[int, Recorder], smtp: Recorder
) -> None:
    profile = mail_profile(tmp_path, server[0])
    ids = make_drafts(db_path, 3)
    smtp.refuse = {"c0002@example.jp"}
    code, output = run(["send", "--drafts"], profile, db_path)
    assert code == 1
    assert "2 sent, 1 failed" in output
    assert statuses(db_path) == {ids[0]: "sent", ids[1]: "failed", ids[2]: "sent"}
    with Log.open(db_path) as log:
        failed = log.get_exchange(ids[1])
    assert failed.failure is not None and failed.failure.startswith("550 5.1.1")
    assert "Recipient address rejected" in failed.failure
    assert failed.sent_at is None
    # The address is fixed on the server's side: the failed one goes, under the same id.
    smtp.refuse = set()
    code, output = run(["send", str(ids[1])], profile, db_path)
    assert code == 0, output
    assert statuses(db_path)[ids[1]] == "sent"
    assert [r.rcpt_tos[0] for r in smtp.received] == [
        "c0001@example.jp", "c0003@example.jp", "c0002@example.jp"]
    with Log.open(db_path) as log:
        assert log.get_exchange(ids[1]).failure is None


def test_a_connection_dropped_during_data_leaves_sending_which_only_resend_sends(
    tmp_path: Path, db_path: Path, server: tuple[int, Recorder], smtp: Recorder
) -> None:
    profile = mail_profile(tmp_path, server[0])
    ids = make_drafts(db_path, 3)
    smtp.drop_on_data = True
    code, output = run(["send", "--drafts"], profile, db_path)
    assert code == 1
    # The first one was being handed over: it may have arrived. The rest were not attempted.
    assert statuses(db_path) == {ids[0]: "sending", ids[1]: "draft", ids[2]: "draft"}
    assert "2 not attempted" in output
    assert f"#{ids[0]} C-0001 is still 'sending'" in output
    with Log.open(db_path) as log:
        stuck = log.get_exchange(ids[0])
    assert stuck.failure and "after the message was handed over" in stuck.failure
    first_id = stuck.message_id
    # Running again sends the others and reports the stuck one; it is never sent by itself.
    smtp.drop_on_data = False
    for _ in range(2):
        code, output = run(["send", "--drafts"], profile, db_path)
        assert f"#{ids[0]} C-0001 is still 'sending'" in output
        assert f"--resend {ids[0]}" in output
    code, output = run(["send", str(ids[0])], profile, db_path)
    assert "left 'sending'" in output
    assert [r.rcpt_tos[0] for r in smtp.received] == ["c0002@example.jp", "c0003@example.jp"]
    # On purpose: --resend sends it, under the Message-ID recorded the first time.
    code, output = run(["send", "--resend", str(ids[0])], profile, db_path)
    assert code == 0, output
    assert smtp.received[-1].message_id == first_id
    assert statuses(db_path)[ids[0]] == "sent"
    code, output = run(["send", "--resend", str(ids[0])], profile, db_path)
    assert code == 1 and "not 'sending'" in output


def test_a_server_slow_past_the_timeout_in_data_leaves_sending(
    tmp_path: Path, db_path: Path, server: tuple[int, Recorder], smtp: Recorder
) -> None:
    profile = mail_profile(tmp_path, server[0], timeout_seconds=1)
    ids = make_drafts(db_path, 2)
    smtp.slow_data = 3
    code, output = run(["send", "--drafts"], profile, db_path)
    assert code == 1
    assert statuses(db_path) == {ids[0]: "sending", ids[1]: "draft"}
    with Log.open(db_path) as log:
        assert "timed out" in (log.get_exchange(ids[0]).failure or "")


def test_a_server_that_never_answers_is_an_error_before_anything_is_marked(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIZUNA_SMTP_PASSWORD", SMTP_PASSWORD)
    ids = make_drafts(db_path, 2)
    with silent_server() as port:
        code, output = run(["send", "--drafts"], mail_profile(tmp_path, port, timeout_seconds=1),
                           db_path)
    assert code == 1
    assert f"Cannot reach the SMTP server 127.0.0.1:{port}: it did not answer within 1 s." in output
    assert "Nothing was sent or marked." in output and "Traceback" not in output
    assert statuses(db_path) == {ids[0]: "draft", ids[1]: "draft"}


def test_a_wrong_password_is_an_error_before_anything_is_marked(
    tmp_path: Path, db_path: Path, server: tuple[int, Recorder], smtp: Recorder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KIZUNA_SMTP_PASSWORD", "wrong")
    ids = make_drafts(db_path, 2)
    code, output = run(["send", "--drafts"], mail_profile(tmp_path, server[0]), db_path)
    assert code == 1
    assert f"refused the login for {SMTP_USER} (535" in output
    assert statuses(db_path) == {ids[0]: "draft", ids[1]: "draft"}
    with Log.open(db_path) as log:
        assert all(e.message_id is None for e in log.timeline())
    assert smtp.count() == 0


def test_no_password_anywhere_is_an_error_before_anything_is_marked(
    tmp_path: Path, db_path: Path, server: tuple[int, Recorder], smtp: Recorder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("KIZUNA_SMTP_PASSWORD")
    ids = make_drafts(db_path, 1)
    code, output = run(["send", "--drafts"], mail_profile(tmp_path, server[0]), db_path)
    assert code == 1 and "No password for the SMTP user kizuna" in output
    assert statuses(db_path) == {ids[0]: "draft"}


def test_an_unreachable_server_is_an_error_before_anything_is_marked(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mailservers import free_port

    monkeypatch.setenv("KIZUNA_SMTP_PASSWORD", SMTP_PASSWORD)
    ids = make_drafts(db_path, 1)
    port = free_port()
    code, output = run(["send", "--drafts"], mail_profile(tmp_path, port), db_path)
    assert code == 1
    assert f"Cannot reach the SMTP server 127.0.0.1:{port}" in output
    assert statuses(db_path) == {ids[0]: "draft"}


def test_no_mail_table_is_an_error_before_anything_is_marked(db_path: Path) -> None:
    ids = make_drafts(db_path, 1)
    result = CliRunner().invoke(cli, ["--db", str(db_path), "send", "--drafts"])
    assert result.exit_code == 1
    assert "field 'mail': The profile has no [mail] table" in result.output
    assert statuses(db_path) == {ids[0]: "draft"}
    with Log.open(db_path) as log, pytest.raises(ProfileError):
        mailing.send(load_profile(), log, drafts=True)


def test_a_dry_run_lists_and_neither_connects_nor_marks(
    tmp_path: Path, db_path: Path, server: tuple[int, Recorder], smtp: Recorder
) -> None:
    ids = make_drafts(db_path, 2)
    code, output = run(["send", "--drafts", "--dry-run"], mail_profile(tmp_path, server[0]),
                       db_path)
    assert code == 0, output
    assert "Dry run: 2 would be sent, 0 skipped." in output
    assert f"#{ids[0]} C-0001: would send (to c0001@example.jp in utf-8)" in output
    assert statuses(db_path) == {ids[0]: "draft", ids[1]: "draft"}
    assert smtp.count() == 0


def test_what_cannot_be_sent_is_refused_before_anything_is_marked(
    tmp_path: Path, db_path: Path, server: tuple[int, Recorder], smtp: Recorder
) -> None:
    ids = make_drafts(db_path, 2)
    with Log.open(db_path) as log:
        log.record_inbound("C-0001", "2番でお願いします。")
        reply_id = log.timeline()[-1].id
        # A draft whose text ISO-2022-JP cannot carry, in a profile sending ISO-2022-JP.
        log.db.execute("UPDATE exchanges SET body = body || '①' WHERE id = ?", [ids[1]])
    profile = mail_profile(tmp_path, server[0], charset="iso-2022-jp")
    code, output = run(["send", str(reply_id)], profile, db_path)
    assert code == 1 and "is a message from C-0001, not one to send" in output
    code, output = run(["send", "--drafts"], profile, db_path)
    assert code == 1
    assert f"Exchange {ids[1]} (C-0002) cannot be sent as email in iso-2022-jp" in output
    assert statuses(db_path) == {ids[0]: "draft", ids[1]: "draft"}
    code, output = run(["send"], profile, db_path)
    assert code == 1 and "Nothing to send was named." in output
    assert smtp.count() == 0


def test_an_applicant_without_an_address_is_skipped_and_one_candidate_is_chosen(
    tmp_path: Path, db_path: Path, server: tuple[int, Recorder], smtp: Recorder
) -> None:
    ids = make_drafts(db_path, 2)
    with Log.open(db_path) as log:
        drafted = pipeline.draft_message(load_profile(), "screening_result",
                                         Candidate("C-0009", "北上 次郎"), on=ON, log=log,
                                         result="passed", stage="screening")
    assert drafted.exchange is not None
    profile = mail_profile(tmp_path, server[0])
    code, output = run(["send", "--candidate", "C-0002"], profile, db_path)
    assert code == 0, output
    assert [r.rcpt_tos for r in smtp.received] == [["c0002@example.jp"]]
    code, output = run(["send", "--drafts"], profile, db_path)
    assert "the log has no email address for C-0009" in output
    assert statuses(db_path) == {ids[0]: "sent", ids[1]: "sent", drafted.exchange.id: "draft"}


def test_the_rate_limit_waits_between_messages(
    tmp_path: Path, db_path: Path, server: tuple[int, Recorder], smtp: Recorder
) -> None:
    profile = load_profile(mail_profile(tmp_path, server[0], rate_per_minute=2))
    make_drafts(db_path, 5, profile)
    clock = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    events: list[mailing.SendEvent] = []
    with Log.open(db_path) as log:
        report = mailing.send(profile, log, drafts=True, clock=lambda: clock[0], sleep=sleep,
                              progress=events.append)
    assert slept == [60.0, 60.0]
    assert [e.outcome for e in report.events] == ["sent"] * 5
    assert [e.line().split(":")[0] for e in events] == [
        f"[{i}/5] #{i} C-{i:04d}" for i in range(1, 6)]


def test_a_message_is_claimed_once(db_path: Path) -> None:
    (draft,) = make_drafts(db_path, 1)
    with Log.open(db_path) as first, Log.open(db_path) as second:
        assert first.mark_sending(draft, "<a@example.jp>", at=NOW) is not None
        assert second.mark_sending(draft, "<b@example.jp>", at=NOW) is None
        assert second.mark_sending(draft, "<b@example.jp>", at=NOW, resend=True) is not None
        assert second.get_exchange(draft).message_id == "<a@example.jp>"
        assert second.get_exchange(draft).status == "sending"


def test_library_send_refuses_resend_of_a_draft(db_path: Path, tmp_path: Path) -> None:
    (draft,) = make_drafts(db_path, 1)
    profile = load_profile(mail_profile(tmp_path, 25))
    with Log.open(db_path) as log, pytest.raises(InputError, match="not 'sending'"):
        mailing.send(profile, log, resend=[draft])


def test_mail_error_names_the_draft(db_path: Path, tmp_path: Path) -> None:
    (draft,) = make_drafts(db_path, 1)
    profile = load_profile(mail_profile(tmp_path, 25))
    with Log.open(db_path) as log:
        log.db.execute("UPDATE exchanges SET charset = 'iso-2022-jp', body = '髙' WHERE id = ?",
                       [draft])
        with pytest.raises(MailError, match=f"Exchange {draft} \\(C-0001\\)"):
            mailing.send(profile, log, [draft])


# ------------------------------------------------------------------------------ TLS


def test_starttls_with_the_profiles_ca_file(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("KIZUNA_SMTP_PASSWORD", SMTP_PASSWORD)
    make_drafts(db_path, 1)
    with smtp_server(tls_context=context) as (controller, recorder):
        plain = mail_profile(tmp_path, controller.port, security="starttls")
        code, output = run(["send", "--drafts"], plain, db_path)
        assert code == 1 and "TLS with the SMTP server" in output  # the CA is unknown
        assert statuses(db_path) == {1: "draft"}
        trusted = mail_profile(tmp_path, controller.port, security="starttls", ca_file="ca.pem")
        code, output = run(["send", "--drafts"], trusted, db_path)
        assert code == 0, output
        assert recorder.count() == 1


# ------------------------------------------------------------------------------ kill -9


def _sender(profile: Path, db: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "KIZUNA_SMTP_PASSWORD": SMTP_PASSWORD}
    return subprocess.Popen(
        [sys.executable, "-m", "kizuna", "--profile", str(profile), "--db", str(db), "send",
         "--drafts"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )


def _check_exactly_once(db: Path, smtp: Recorder, rerun_output: str) -> dict[str, int]:
    """Every applicant got each message exactly once, or it is 'sending' and reported."""
    times = Counter(r.message_id for r in smtp.received)
    assert max(times.values()) == 1, times.most_common(3)
    with Log.open(db) as log:
        outbound = [e for e in log.timeline() if e.direction == "out"]
    states = Counter(e.status for e in outbound)
    assert set(states) <= {"sent", "sending"}, states
    for exchange in outbound:
        if exchange.status == "sent":
            assert times[exchange.message_id] == 1, exchange
        else:
            assert times[exchange.message_id] <= 1
            assert f"#{exchange.id} {exchange.candidate_id} is still 'sending'" in rerun_output
    recipients = Counter(r.rcpt_tos[0] for r in smtp.received)
    assert max(recipients.values()) == 1
    return dict(states)


@pytest.mark.slow
def test_kill_9_while_the_server_holds_a_message_then_run_again(
    tmp_path: Path, db_path: Path, server: tuple[int, Recorder], smtp: Recorder
) -> None:
    profile = mail_profile(tmp_path, server[0])
    ids = make_drafts(db_path, 50)
    smtp.hold_at = 17  # the server stores the 17th, then keeps the sender waiting for "250"
    sender = _sender(profile, db_path)
    try:
        assert smtp.holding.wait(30), sender.stderr.read() if sender.stderr else ""
        sender.send_signal(signal.SIGKILL)
        sender.wait(30)
    finally:
        smtp.release.set()
        if sender.poll() is None:
            sender.kill()
        sender.communicate()
    assert sender.returncode == -signal.SIGKILL
    before = statuses(db_path)
    assert [before[i] for i in ids[:16]] == ["sent"] * 16
    assert before[ids[16]] == "sending"  # the server has it; kizuna cannot know
    assert [before[i] for i in ids[17:]] == ["draft"] * 33
    code, output = run(["send", "--drafts"], profile, db_path)
    assert code == 0, output
    assert "33 sent" in output
    assert _check_exactly_once(db_path, smtp, output) == {"sent": 49, "sending": 1}
    assert smtp.count() == 50  # the held one reached the server once, and was not sent again
    code, again = run(["send", "--drafts"], profile, db_path)
    assert "0 sent" in again and f"#{ids[16]} C-0017 is still 'sending'" in again
    assert smtp.count() == 50


@pytest.mark.slow
def test_kill_9_at_a_moment_the_test_does_not_choose_then_run_again(
    tmp_path: Path, db_path: Path, server: tuple[int, Recorder], smtp: Recorder
) -> None:
    profile = mail_profile(tmp_path, server[0])
    make_drafts(db_path, 50)
    smtp.delay = 0.01
    sender = _sender(profile, db_path)
    try:
        deadline = time.monotonic() + 60
        while smtp.count() < 20 and sender.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        sender.send_signal(signal.SIGKILL)
        sender.wait(30)
    finally:
        if sender.poll() is None:
            sender.kill()
        sender.communicate()
    assert 20 <= smtp.count() < 50, "the sender finished before it was killed"
    code, output = run(["send", "--drafts"], profile, db_path)
    states = _check_exactly_once(db_path, smtp, output)
    assert states.get("sent", 0) + states.get("sending", 0) == 50
    assert states.get("sending", 0) <= 1
    assert code == 0, output


def test_a_message_left_sending_that_did_arrive_is_marked_sent_by_hand(
    tmp_path: Path, db_path: Path, server: tuple[int, Recorder], smtp: Recorder
) -> None:
    profile = mail_profile(tmp_path, server[0])
    (draft,) = make_drafts(db_path, 1)
    smtp.drop_on_data = True
    assert run(["send", "--drafts"], profile, db_path)[0] == 1
    smtp.drop_on_data = False
    result = CliRunner().invoke(cli, ["--db", str(db_path), "sent", str(draft)])
    assert result.exit_code == 0, result.output
    code, output = run(["send", "--drafts"], profile, db_path)
    assert code == 0 and "still 'sending'" not in output
    assert statuses(db_path) == {draft: "sent"} and smtp.count() == 0


def test_a_draft_the_check_finds_errors_in_is_not_sent_unless_forced(
    tmp_path: Path, db_path: Path, server: tuple[int, Recorder], smtp: Recorder
) -> None:
    import dataclasses

    profile = mail_profile(tmp_path, server[0])
    good, = make_drafts(db_path, 1)
    with Log.open(db_path) as log:
        message = pipeline.prepare_message(load_profile(), "screening_result", person(2), on=ON,
                                           log=log, result="passed", stage="screening")
        bad = log.record_outbound(dataclasses.replace(message, body=message.body + "\nTODO 日程\n"))
    code, output = run(["send", "--drafts"], profile, db_path)
    assert "1 sent" in output and "1 skipped" in output
    assert "kizuna check found 1 error(s)" in output and "leftover.todo" in output
    assert statuses(db_path) == {good: "sent", bad.id: "draft"}
    assert [r.rcpt_tos for r in smtp.received] == [["c0001@example.jp"]]
    code, output = run(["send", str(bad.id), "--force"], profile, db_path)
    assert code == 0 and "1 sent" in output and statuses(db_path)[bad.id] == "sent"
