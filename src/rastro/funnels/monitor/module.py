"""The funnel monitor as the application sees it: its route and the live `funnel` topic.
Importing it registers the listeners of page views and payment changes."""

from __future__ import annotations

from rastro.core.module import Module
from rastro.funnels.monitor import api
from rastro.funnels.monitor.service import live

MODULE = Module(name="funnel_monitor", routers=[api.router], live_topics=(live.LIVE_TOPIC,))
