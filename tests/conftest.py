"""Shared pytest fixtures: the local Wayback imitation (docs/wayback-imitation.md)."""

from __future__ import annotations

from tests.wayback.fixtures import wayback_archive, wayback_server

__all__ = ["wayback_archive", "wayback_server"]
