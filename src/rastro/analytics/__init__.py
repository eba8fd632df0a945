"""Analytics: rollups, reports, attribution models, A/B statistics (BI database)."""
