"""E-mail providers' bounce and complaint webhooks, one class per provider, each turning
its verified payload into `base.ProviderEvent`s."""
