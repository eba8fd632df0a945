"""Recovery of abandoned checkouts and unpaid PIX/boleto charges (issue 19 item 7)."""
