"""Deciding which captures to fetch, and what the rest are."""
