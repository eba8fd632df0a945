"""The auth module's behaviour. Functions flush, never commit."""
