"""Offline conversions: won deals and checkout sales sent back to the ad platforms."""
