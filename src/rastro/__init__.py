"""Rastro: self-hosted first-party marketing tracking and attribution."""

__version__ = "0.1.0"
