"""Sales funnels (seed 002): steps, checkout, pixels, payments and their gateways."""
