"""E-mail campaigns with full tracking (seed 004 `mtrk`)."""
