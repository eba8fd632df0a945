"""The simulated sender (seed 004 "envios simulados"): nothing leaves; every mail counts
as sent, for demos and load tests. The simulated events that follow (delivered, opens,
clicks, bounces) are made by `service/simulation.py`."""

from __future__ import annotations

from rastro.email.senders.base import OutgoingMail, SendResult


class SimulatedSender:
    kind = "simulated"

    def __init__(self) -> None:
        self.sent: list[OutgoingMail] = []

    async def send(self, mails: list[OutgoingMail]) -> list[SendResult]:
        self.sent.extend(mails)
        return [
            SendResult(mail.message_id, "sent", provider_message_id=f"sim-{mail.message_id}")
            for mail in mails
        ]
