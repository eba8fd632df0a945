"""Inbound CRM webhook providers, one module each behind `base.InboundProvider`."""

from __future__ import annotations

from rastro.integrations.inbound.base import InboundProvider
from rastro.integrations.inbound.generic import GenericInbound
from rastro.integrations.inbound.hubspot import HubSpotInbound
from rastro.integrations.inbound.pipedrive import PipedriveInbound
from rastro.integrations.inbound.rdstation import RdStationInbound

PROVIDERS: dict[str, InboundProvider] = {
    provider.name: provider
    for provider in (HubSpotInbound(), PipedriveInbound(), RdStationInbound(), GenericInbound())
}
