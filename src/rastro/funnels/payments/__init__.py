"""Payments of the funnels' checkouts (seed 002 `payments`): PIX charges through a
gateway or the built-in static PIX, their statuses, the gateways' webhooks, and the
purchase conversion of a paid payment."""
