"""The recovery of abandoned checkouts and unpaid PIX/boleto as the application sees it:
its router and jobs. Importing it registers the listener that marks a case recovered
when its payment (or the one made through its resume link) is paid, and the e-mail
channel (`service.mail`: the e-mail module's `checkout_abandoned` and `pix_unpaid`
sequences, with the resume link) on `service.hooks.on_recovery_opportunity`.
"""

from __future__ import annotations

from rastro.core.module import Module
from rastro.funnels.recovery import api, jobs, permissions  # noqa: F401
from rastro.funnels.recovery.service import mail, outcomes  # noqa: F401  (register listeners)

MODULE = Module(name="recovery", routers=[api.router], register_jobs=jobs.register)
