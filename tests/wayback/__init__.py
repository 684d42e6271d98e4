"""A local imitation of the Wayback Machine (CDX API + replay + faults) for tests.

``python -m tests.wayback --port 8765`` serves the dev fixtures in the foreground;
see docs/wayback-imitation.md. Test code uses :mod:`tests.wayback.fixtures`.
"""

from __future__ import annotations

from tests.wayback.archive import Archive, CaptureRow, surt_urlkey
from tests.wayback.faults import FaultRule, Faults, RateLimit, parse_fault_spec
from tests.wayback.server import RequestRecord, WaybackServer

__all__ = [
    "Archive",
    "CaptureRow",
    "FaultRule",
    "Faults",
    "RateLimit",
    "RequestRecord",
    "WaybackServer",
    "parse_fault_spec",
    "surt_urlkey",
]
