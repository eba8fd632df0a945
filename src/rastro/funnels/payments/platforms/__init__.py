"""One connector per checkout platform (`base.Platform`); `PLATFORMS` by name.

Hotmart, Kiwify, Eduzz. Monetizze, Braip, Ticto and Greenn are not here: their webhook
payloads and authentication are not in any public documentation found (see the
payments README); a platform is added from its own docs, never guessed."""

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
