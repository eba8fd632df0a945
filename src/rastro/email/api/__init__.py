"""The e-mail module's routes: management under `/api/email`, public ones under `/e`."""

from rastro.email.api import campaigns, lists, public, sequences, templates

routers = [lists.router, campaigns.router, templates.router, sequences.router, public.router]
