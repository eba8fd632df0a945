"""Ad-platform connectors, one module each behind `base.Connector`."""

from __future__ import annotations

from rastro.conversions.connectors.base import Connector
from rastro.conversions.connectors.google import GoogleConnector
from rastro.conversions.connectors.linkedin import LinkedInConnector
from rastro.conversions.connectors.meta import MetaConnector
from rastro.conversions.connectors.tiktok import TikTokConnector
from rastro.conversions.connectors.utmify import UtmifyConnector

CONNECTORS: dict[str, Connector] = {
    connector.platform: connector
    for connector in (
        MetaConnector(),
        GoogleConnector(),
        LinkedInConnector(),
        TikTokConnector(),
        UtmifyConnector(),
    )
}
