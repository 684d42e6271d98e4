"""Shared pytest fixtures: the local Wayback imitation (docs/wayback-imitation.md)
and a real pywb (tests/pywb/).

Also the Hypothesis profile: under CI (``CI`` set, as ``.ci/run`` runs) every
property test draws the same examples each run, so main cannot turn red on a draw
nobody can reproduce; locally the draws stay random and keep exploring, and what
they find is added as an ``@example``. CI also lifts Hypothesis's per-example
deadline: a loaded machine made a correct example slower than 200 ms once, which
Hypothesis reports as a flaky failure (speed is measured in ``benchmarks/``).
"""

from __future__ import annotations

import os

from hypothesis import settings

from tests.pywb.fixtures import pywb_dev
from tests.wayback.fixtures import wayback_archive, wayback_server

__all__ = ["pywb_dev", "wayback_archive", "wayback_server"]

settings.register_profile("ci", derandomize=True, database=None, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")
