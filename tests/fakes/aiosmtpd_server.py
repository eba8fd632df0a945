"""A real SMTP server on 127.0.0.1 (aiosmtpd, in a thread of its own) that keeps each
message exactly as it arrived, for DKIM verification."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Delivered:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes  # the DATA as received (dot-stuffing undone), CRLF line ends


@dataclass
class _Handler:
    delivered: list[Delivered] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.delivered.append(
            Delivered(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content))
        )
        return "250 2.0.0 Message accepted for delivery"


class AiosmtpdServer:
    def __init__(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self._handler = _Handler()
        self._controller = Controller(self._handler, hostname="127.0.0.1", port=self.port)

    @property
    def delivered(self) -> list[Delivered]:
        return self._handler.delivered

    def start(self) -> AiosmtpdServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()
