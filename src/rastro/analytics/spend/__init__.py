"""Ad spend importers, one module per platform behind `base.SpendConnector`."""

from __future__ import annotations

from rastro.analytics.spend.base import SpendConnector
from rastro.analytics.spend.google import GoogleSpendConnector
from rastro.analytics.spend.linkedin import LinkedInSpendConnector
from rastro.analytics.spend.meta import MetaSpendConnector
from rastro.analytics.spend.tiktok import TikTokSpendConnector

CONNECTORS: dict[str, SpendConnector] = {
    connector.platform: connector
    for connector in (
        MetaSpendConnector(),
        GoogleSpendConnector(),
        TikTokSpendConnector(),
        LinkedInSpendConnector(),
    )
}
