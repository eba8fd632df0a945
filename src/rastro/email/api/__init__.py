"""The e-mail module's routes: management under `/api/email`, public ones under `/e`."""

from rastro.email.api import (
    campaign_variants,
    campaigns,
    drilldown,
    forms,
    imports,
    lists,
    public,
    sequences,
    subscribe,
    templates,
)

routers = [
    lists.router,
    imports.router,
    forms.router,
    campaigns.router,
    campaign_variants.router,
    drilldown.router,
    templates.router,
    sequences.router,
    public.router,
    subscribe.router,
]
