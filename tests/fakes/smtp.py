"""A local SMTP server on 127.0.0.1 (RFC 5321: EHLO/HELO, MAIL, RCPT, DATA with
dot-stuffing, RSET, NOOP, QUIT; 503 for commands out of order), in a thread of its own.
Tests read the envelopes and messages it received and script replies per recipient
(e.g. 451 for a temporary refusal, 550 for an unknown mailbox)."""

from __future__ import annotations

import asyncio
import base64
import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage


@dataclass
class Received:
    mail_from: str
    rcpt_to: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class FakeSmtpServer:
    received: list[Received] = field(default_factory=list)
    # recipient address → (code, text) answered to its RCPT TO
    rcpt_replies: dict[str, tuple[int, str]] = field(default_factory=dict)
    port: int = 0
    commands: list[str] = field(default_factory=list)
    # (username, password) that AUTH PLAIN accepts; None: no AUTH offered.
    login: tuple[str, str] | None = None
    authenticated: list[str] = field(default_factory=list)

    def start(self) -> FakeSmtpServer:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._session, "127.0.0.1", self.port)
            )
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        ready.wait(5)
        return self

    def stop(self) -> None:
        def close() -> None:
            self._server.close()
            self._loop.stop()

        self._loop.call_soon_threadsafe(close)
        self._thread.join(timeout=5)

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def reply(line: str) -> None:
            writer.write((line + "\r\n").encode())

        reply("220 fake.smtp.local ESMTP ready")
        greeted = False
        mail_from: str | None = None
        rcpt: list[str] = []
        try:
            while True:
                raw = await reader.readline()
                if not raw:
                    break
                line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                verb = line.split(" ", 1)[0].upper()
                self.commands.append(verb)
                if verb == "EHLO":
                    greeted = True
                    writer.write(b"250-fake.smtp.local\r\n250-8BITMIME\r\n250-SIZE 10485760\r\n")
                    if self.login is not None:
                        writer.write(b"250-AUTH PLAIN\r\n")
                    reply("250 SMTPUTF8")
                elif verb == "HELO":
                    greeted = True
                    reply("250 fake.smtp.local")
                elif verb == "MAIL":
                    if not greeted:
                        reply("503 5.5.1 EHLO first")
                    elif self.login is not None and not self.authenticated:
                        reply("530 5.7.0 Authentication required")
                    elif not line.upper().startswith("MAIL FROM:<"):
                        reply("501 5.5.4 Syntax: MAIL FROM:<address>")
                    else:
                        mail_from, rcpt = line[10:].split(">", 1)[0].lstrip("<"), []
                        reply("250 2.1.0 OK")
                elif verb == "RCPT":
                    if mail_from is None:
                        reply("503 5.5.1 MAIL first")
                        continue
                    address = line[8:].split(">", 1)[0].lstrip("<").lower()
                    code, text = self.rcpt_replies.get(address, (250, "2.1.5 OK"))
                    if code == 250:
                        rcpt.append(address)
                    reply(f"{code} {text}")
                elif verb == "DATA":
                    if not rcpt:
                        reply("503 5.5.1 RCPT first")
                        continue
                    reply("354 End data with <CR><LF>.<CR><LF>")
                    lines = []
                    while True:
                        data_line = await reader.readline()
                        if data_line in (b".\r\n", b".\n", b""):
                            break
                        if data_line.startswith(b".."):
                            data_line = data_line[1:]
                        lines.append(data_line)
                    assert mail_from is not None
                    self.received.append(Received(mail_from, rcpt, b"".join(lines)))
                    mail_from, rcpt = None, []
                    reply("250 2.0.0 queued")
                elif verb == "AUTH":
                    parts = line.split(" ")
                    try:
                        _, user, password = base64.b64decode(parts[2]).decode().split("\0")
                    except (IndexError, ValueError):
                        reply("501 5.5.2 Cannot decode AUTH PLAIN")
                        continue
                    if self.login is not None and (user, password) == self.login:
                        self.authenticated.append(user)
                        reply("235 2.7.0 Authentication successful")
                    else:
                        reply("535 5.7.8 Authentication credentials invalid")
                elif verb == "RSET":
                    mail_from, rcpt = None, []
                    reply("250 2.0.0 OK")
                elif verb == "NOOP":
                    reply("250 2.0.0 OK")
                elif verb == "QUIT":
                    reply("221 2.0.0 Bye")
                    await writer.drain()
                    break
                else:
                    reply("502 5.5.2 Command not recognized")
                await writer.drain()
        finally:
            writer.close()
