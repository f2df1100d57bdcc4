"""Real mail servers for the tests, on 127.0.0.1: aiosmtpd (SMTP, in a thread of this process)
whose handler can refuse a recipient, drop the connection during DATA, answer slowly or hold
a message until told, and pymap (IMAP, a subprocess with its in-memory backend)."""

from __future__ import annotations

import asyncio
import contextlib
import email
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

SMTP_USER = "kizuna"
SMTP_PASSWORD = "s3cret-smtp"
IMAP_USER = "saiyo"
IMAP_PASSWORD = "s3cret-imap"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> email.message.Message:
        return email.message_from_bytes(self.data)

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


@dataclass
class Recorder:
    """The aiosmtpd handler: stores what it accepts; behaviours are set per test."""

    received: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    drop_on_data: bool = False
    slow_data: float = 0.0
    delay: float = 0.0
    hold_at: int | None = None  # hold the Nth message (1-based) after storing it
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.received.clear()
        self.refuse = set()
        self.drop_on_data = False
        self.slow_data = 0.0
        self.delay = 0.0
        self.hold_at = None
        self.holding = threading.Event()
        self.release = threading.Event()

    def count(self) -> int:
        with self.lock:
            return len(self.received)

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str,
                          options: list[str]) -> str:
        if not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: list[str]) -> str:
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.drop_on_data:
            server.transport.abort()
            return "451 dropped"
        data = envelope.original_content or envelope.content
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), data))
            number = len(self.received)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.slow_data:
            await asyncio.sleep(self.slow_data)
        if self.hold_at is not None and number == self.hold_at:
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 30)
        return f"250 2.0.0 Ok: queued as Q{number:04d}"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str,
                   auth_data: Any) -> AuthResult:
    if isinstance(auth_data, LoginPassword) and (
        auth_data.login.decode() == SMTP_USER and auth_data.password.decode() == SMTP_PASSWORD
    ):
        return AuthResult(success=True)
    return AuthResult(success=False, handled=False)


@contextlib.contextmanager
def smtp_server(tls_context: Any = None) -> Iterator[tuple[Controller, Recorder]]:
    """An aiosmtpd server on a free port of 127.0.0.1 with LOGIN/PLAIN for SMTP_USER; with a
    ``tls_context`` it offers STARTTLS."""
    recorder = Recorder()
    kwargs: dict[str, Any] = {}
    if tls_context is not None:
        kwargs["tls_context"] = tls_context
    controller = Controller(
        recorder, hostname="127.0.0.1", port=free_port(), authenticator=_authenticator,
        auth_require_tls=False, ready_timeout=10, **kwargs,
    )
    controller.start()
    try:
        yield controller, recorder
    finally:
        recorder.release.set()
        controller.stop()


@contextlib.contextmanager
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never says a word (an SMTP server slower than
    any timeout). Stops when the block ends."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    stop = threading.Event()
    accepted: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            with contextlib.suppress(OSError):
                conn, _ = listener.accept()
                accepted.append(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(5)
        for conn in accepted:
            conn.close()
        listener.close()


@dataclass
class ImapServer:
    host: str
    port: int
    process: subprocess.Popen[bytes]


@contextlib.contextmanager
def imap_server(tmp: Path, cert: tuple[Path, Path] | None = None) -> Iterator[ImapServer]:
    """pymap with its in-memory (dict) backend and one user, on a free port of 127.0.0.1;
    with ``cert`` (cert file, key file) it speaks STARTTLS."""
    import imaplib

    port = free_port()
    command = [sys.executable, "-c", "import sys; from pymap.main import main; sys.exit(main())",
               "--host", "127.0.0.1", "--port", str(port)]
    if cert is None:
        command.append("--no-tls")
    else:
        command += ["--cert", str(cert[0]), "--key", str(cert[1])]
    command += ["dict", "--demo-user", IMAP_USER, "--demo-password", IMAP_PASSWORD]
    out = open(tmp / "pymap.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with contextlib.closing(socket.create_connection(("127.0.0.1", port), 0.5)):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((tmp / "pymap.log").read_text()) from None
                time.sleep(0.05)
        # Ready when it greets.
        client = imaplib.IMAP4("127.0.0.1", port, timeout=10)
        client.logout()
        yield ImapServer("127.0.0.1", port, process)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(10)
        out.close()


def imap_append(server: ImapServer, messages: list[bytes], folder: str = "INBOX") -> None:
    """Deliver messages into the test user's folder, as a mail server would."""
    import imaplib

    client = imaplib.IMAP4(server.host, server.port, timeout=10)
    try:
        client.login(IMAP_USER, IMAP_PASSWORD)
        for raw in messages:
            status, _ = client.append(folder, None, None, raw)
            assert status == "OK"
    finally:
        client.logout()


def imap_clear(server: ImapServer, folder: str = "INBOX") -> None:
    import imaplib

    client = imaplib.IMAP4(server.host, server.port, timeout=10)
    try:
        client.login(IMAP_USER, IMAP_PASSWORD)
        client.select(folder)
        client.store("1:*", "+FLAGS", "(\\Deleted)")
        client.expunge()
    finally:
        client.logout()
