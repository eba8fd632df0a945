"""One connector per checkout platform (`base.Platform`); `PLATFORMS` by name.

Hotmart, Kiwify, Eduzz, Shopify, Yampi, Perfect Pay and Cakto, each from its public docs,
and `orders`, Rastro's own signed orders webhook for any other checkout. Monetizze, Braip,
Ticto and Greenn have no connector: no documentation of their webhook payloads and
authentication was found from the platforms themselves, and a connector is written from a
platform's docs, never guessed (any of them can post to the `orders` webhook through an
automation tool meanwhile)."""

from __future__ import annotations

from rastro.funnels.payments.platforms.base import Platform
from rastro.funnels.payments.platforms.cakto import CaktoPlatform
from rastro.funnels.payments.platforms.eduzz import EduzzPlatform
from rastro.funnels.payments.platforms.hotmart import HotmartPlatform
from rastro.funnels.payments.platforms.kiwify import KiwifyPlatform
from rastro.funnels.payments.platforms.orders import OrdersPlatform
from rastro.funnels.payments.platforms.perfectpay import PerfectPayPlatform
from rastro.funnels.payments.platforms.shopify import ShopifyPlatform
from rastro.funnels.payments.platforms.yampi import YampiPlatform

PLATFORMS: dict[str, Platform] = {
    platform.name: platform
    for platform in (
        HotmartPlatform(),
        KiwifyPlatform(),
        EduzzPlatform(),
        ShopifyPlatform(),
        YampiPlatform(),
        PerfectPayPlatform(),
        CaktoPlatform(),
        OrdersPlatform(),
    )
}
