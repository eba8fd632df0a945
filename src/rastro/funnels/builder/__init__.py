"""The funnels themselves (seed 002 `funnels`, `funnel_steps`, `checkout_configs`,
`tracking_pixels`): their API, the step types, and the public step pages at
`/f/{funnel_slug}/{step_slug}` with the tracker and the funnel's pixels."""
