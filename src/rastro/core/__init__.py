"""Shared plumbing. Imports no domain module."""
