"""Push destinations, one module each behind `base.Connector`."""

from __future__ import annotations

from rastro.crm.connectors.base import Connector
from rastro.crm.connectors.hubspot import HubSpotConnector
from rastro.crm.connectors.pipedrive import PipedriveConnector
from rastro.crm.connectors.rdstation import RdStationConnector
from rastro.crm.connectors.salesforce import SalesforceConnector
from rastro.crm.connectors.webhook import WebhookConnector

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
