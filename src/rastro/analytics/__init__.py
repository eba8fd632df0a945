"""Analytics: rollups, reports, attribution models and A/B statistics over the BI database."""
