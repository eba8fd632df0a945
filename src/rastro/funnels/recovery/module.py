"""The recovery of abandoned checkouts and unpaid PIX/boleto as the application sees it:
its router and jobs. Importing it registers the listener that marks a case recovered
when its payment (or the one made through its resume link) is paid.

E-mail: the e-mail module's "PIX unpaid" sequence is wired with
`rastro.funnels.recovery.service.hooks.on_recovery_opportunity` (see that module).
"""

from __future__ import annotations

from rastro.core.module import Module
from rastro.funnels.recovery import api, jobs, permissions  # noqa: F401
from rastro.funnels.recovery.service import outcomes  # noqa: F401  (registers mark_recovered)

MODULE = Module(name="recovery", routers=[api.router], register_jobs=jobs.register)
