"""One connector per checkout platform (`base.Platform`); `PLATFORMS` by name.

Hotmart and Kiwify for now; Eduzz, Monetizze, Braip, Ticto, Greenn, Cakto, Perfect Pay,
Yampi and Shopify are still to be written from their public docs."""

from __future__ import annotations

from rastro.funnels.payments.platforms.base import Platform
from rastro.funnels.payments.platforms.hotmart import HotmartPlatform
from rastro.funnels.payments.platforms.kiwify import KiwifyPlatform

PLATFORMS: dict[str, Platform] = {
    platform.name: platform for platform in (HotmartPlatform(), KiwifyPlatform())
}
