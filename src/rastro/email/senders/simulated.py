"""The simulated sender (seed 004 "envios simulados"): nothing leaves; every mail counts
as sent, for demos and load tests. The sending records a `delivered` event with each
`sent` one (`service/sending.py`)."""

from __future__ import annotations

from rastro.email.senders.base import OutgoingMail, SendResult


class SimulatedSender:
    kind = "simulated"

    def __init__(self, *, keep: bool = True) -> None:
        # What was "sent", for tests and previews; a campaign's job keeps nothing (a
        # million rendered mails would stay in memory).
        self.keep = keep
        self.sent: list[OutgoingMail] = []

    async def send(self, mails: list[OutgoingMail]) -> list[SendResult]:
        if self.keep:
            self.sent.extend(mails)
        return [
            SendResult(mail.message_id, "sent", provider_message_id=f"sim-{mail.message_id}")
            for mail in mails
        ]
