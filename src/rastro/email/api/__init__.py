"""The e-mail module's routes: management under `/api/email`, public ones under `/e`."""

from rastro.email.api import campaigns, imports, lists, public

routers = [lists.router, imports.router, campaigns.router, public.router]
