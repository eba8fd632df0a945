"""The e-mail module's routes: management under `/api/email`, public ones under `/e`."""

from rastro.email.api import campaigns, lists, public, sequences

routers = [lists.router, campaigns.router, sequences.router, public.router]
