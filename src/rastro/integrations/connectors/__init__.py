"""Push destinations, one module each behind `base.Connector`."""

from __future__ import annotations

from rastro.integrations.connectors.base import Connector
from rastro.integrations.connectors.hubspot import HubSpotConnector
from rastro.integrations.connectors.pipedrive import PipedriveConnector
from rastro.integrations.connectors.rdstation import RdStationConnector
from rastro.integrations.connectors.salesforce import SalesforceConnector
from rastro.integrations.connectors.webhook import WebhookConnector

CONNECTORS: dict[str, Connector] = {
    connector.name: connector
    for connector in (
        HubSpotConnector(),
        SalesforceConnector(),
        PipedriveConnector(),
        RdStationConnector(),
        WebhookConnector(),
    )
}
