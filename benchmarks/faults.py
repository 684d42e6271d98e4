"""Fault mode of ``benchmarks/crawl.py``: a crawl that meets 429s and 503s all along.

Issue 10: a crawl of the live archive meets a 429 every few minutes and must still
end close to the politeness floor, the least time its requests take at the
configured rates (requests ÷ rates, the CDX and replay phases one after the other).
The local imitation answers 429 (no ``Retry-After``) to 5 % of all requests and 503
to 2 %; the crawl runs at the configured rates times ``scale`` (1 = the defaults,
CDX 20/min and replay 1.5/s, one connection per pool), with only the pauses
shortened (a 60 s pause per 429 would make the run about the pauses): the 429 pause
to ``PAUSE_429_S / scale`` and the 5xx backoff to ``RETRY_BASE_S / scale`` doubling
up to ``RETRY_MAX_S / scale``. It prints the wall time against the floor and the
replay rate in the last tenth of the run against the configured one.

The last tenth is that of the replay phase (first to last replay request), its rate
the replay requests answered in it over the time between the first and the last of
them: what the pool achieves at the end of a long run, the target of issue 10. The
same count over the last tenth of the wall time is printed beside it; it is lower
by the end of the run after the last replay request (the dataset is written, the
crawler closes), which no pacing can shorten.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tests.wayback.server import RequestRecord

FAULTS = "429@all,p=0.05,times=1000000,seed=11;503@all,p=0.02,times=1000000,seed=12"
#: The configured defaults (ise_archive/settings.py) the scale multiplies.
CDX_RPM, REPLAY_RPS = 20.0, 1.5
#: Shortened pauses (defaults: 60 s per 429, 5xx backoff 2 s doubling to 120 s).
PAUSE_429_S, RETRY_BASE_S, RETRY_MAX_S = 1.0, 0.5, 4.0
#: Targets of issue 10.
FLOOR_RATIO_TARGET, LAST_TENTH_TARGET = 1.5, 0.8


def fault_settings(scale: float) -> dict[str, str]:
    """The crawl's settings in fault mode: rates x ``scale``, shortened pauses."""
    return {
        "ISE_ARCHIVE_CDX_RPM": str(CDX_RPM * scale),
        "ISE_ARCHIVE_REPLAY_RPS": str(REPLAY_RPS * scale),
        "ISE_ARCHIVE_CDX_CONCURRENCY": "1",
        "ISE_ARCHIVE_REPLAY_CONCURRENCY": "1",
        "CONCURRENT_REQUESTS": "4",
        "ISE_ARCHIVE_429_PAUSE": str(PAUSE_429_S / scale),
        "ISE_ARCHIVE_RETRY_BACKOFF_BASE": str(RETRY_BASE_S / scale),
        "ISE_ARCHIVE_RETRY_BACKOFF_MAX": str(RETRY_MAX_S / scale),
        "ISE_ARCHIVE_PROGRESS_INTERVAL": "60",
    }


@dataclass(frozen=True, slots=True)
class FaultResult:
    wall_s: float
    floor_s: float
    cdx: int
    replay: int
    injected: dict[str, int]
    last_tenth_rps: float
    #: replay requests answered in the last tenth of the wall time, per second
    last_wall_tenth_rps: float
    configured_rps: float
    end_delays: dict[str, Any]

    @property
    def floor_ratio(self) -> float:
        return self.wall_s / self.floor_s if self.floor_s else 0.0

    @property
    def last_tenth_share(self) -> float:
        return self.last_tenth_rps / self.configured_rps

    @property
    def ok(self) -> bool:
        return (
            self.floor_ratio <= FLOOR_RATIO_TARGET
            and self.last_tenth_share >= LAST_TENTH_TARGET
        )


def measure(
    log: Sequence[RequestRecord],
    *,
    wall_s: float,
    scale: float,
    report: dict[str, Any],
    ended_at: float | None = None,
) -> FaultResult:
    """The floor, the ratio and the last tenth's replay rate, from the server's log.

    ``ended_at`` is when the crawl ended on the log's clock (``time.monotonic``),
    for the rate over the last tenth of the wall time; without it, the last
    replay request's time.
    """
    cdx = [r for r in log if r.pool == "cdx"]
    replay = [r for r in log if r.pool == "replay"]
    cdx_rpm, replay_rps = CDX_RPM * scale, REPLAY_RPS * scale
    floor = len(cdx) * 60 / cdx_rpm + len(replay) / replay_rps
    injected: dict[str, int] = {}
    for record in log:
        if record.fault:
            injected[record.fault] = injected.get(record.fault, 0) + 1
    # the last tenth of the replay phase: from the first to the last replay request
    if len(replay) > 10:
        start, end = replay[0].at, replay[-1].at
        cut = end - (end - start) / 10
        tail = [r for r in replay if r.at >= cut]
        last_rps = (len(tail) - 1) / (tail[-1].at - tail[0].at)
    else:
        last_rps = 0.0
    end = ended_at if ended_at is not None else (replay[-1].at if replay else 0.0)
    tenth = wall_s / 10
    wall_tail = [r for r in replay if r.at >= end - tenth]
    return FaultResult(
        wall_s=wall_s,
        floor_s=floor,
        cdx=len(cdx),
        replay=len(replay),
        injected=injected,
        last_tenth_rps=last_rps,
        last_wall_tenth_rps=len(wall_tail) / tenth if tenth else 0.0,
        configured_rps=replay_rps,
        end_delays=dict(report.get("pool_delays_s", {})),
    )


def print_faults(result: FaultResult, scale: float) -> None:
    print(
        f"fault mode         429 on 5 %, 503 on 2 % of requests; rates x{scale:g} "
        f"(CDX {CDX_RPM * scale:g}/min, replay {REPLAY_RPS * scale:g}/s); pauses "
        f"shortened: 429 {PAUSE_429_S / scale:g} s, 5xx {RETRY_BASE_S / scale:g} s "
        f"doubling to {RETRY_MAX_S / scale:g} s"
    )
    print(f"requests           CDX {result.cdx}, replay {result.replay}")
    print(f"injected           {dict(sorted(result.injected.items()))}")
    print(
        f"wall time          {result.wall_s:.1f} s against a floor of "
        f"{result.floor_s:.1f} s = {result.floor_ratio:.2f}x "
        f"(target <= {FLOOR_RATIO_TARGET}x)"
    )
    print(
        f"replay, last tenth {result.last_tenth_rps:.2f}/s = "
        f"{result.last_tenth_share:.0%} of the configured "
        f"{result.configured_rps:g}/s (target >= {LAST_TENTH_TARGET:.0%})"
    )
    print(
        f"  of the wall time {result.last_wall_tenth_rps:.2f}/s = "
        f"{result.last_wall_tenth_rps / result.configured_rps:.0%} (with the end "
        "of the run after the last replay request)"
    )
    print(f"pace at the end    {result.end_delays} (delay s per pool)")
