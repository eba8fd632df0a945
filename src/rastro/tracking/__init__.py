"""Tracking: domains, landing pages and A/B tests (CRM); the collector and the event tables
(sessions, utm_tracking, page_views, events, visitor_journeys) in the BI database."""
