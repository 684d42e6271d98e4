"""Run the local Wayback imitation in the foreground for manual crawls.

python -m tests.wayback --port 8765 [--fixtures DIR | --synthetic N]
    [--faults SPEC] [--redirects absolute|path|scheme-relative]
"""

from __future__ import annotations

import argparse
import logging
import threading
from pathlib import Path

from tests.wayback.archive import Archive
from tests.wayback.faults import Faults, FaultSpecError
from tests.wayback.fixtures import DEV_CORPUS
from tests.wayback.server import WaybackServer
from tests.wayback.synthetic import generate_archive

logger = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.wayback", description=__doc__
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 = any free port")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--fixtures", type=Path, default=DEV_CORPUS, help="corpus dir")
    source.add_argument("--synthetic", type=int, metavar="N", help="N synthetic posts")
    parser.add_argument("--seed", type=int, default=1, help="seed of --synthetic")
    parser.add_argument("--faults", default="", help="fault spec, e.g. 429@cdx,every=3")
    parser.add_argument(
        "--redirects",
        choices=("absolute", "path", "scheme-relative"),
        default="absolute",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO)
    if args.synthetic is not None:
        archive = generate_archive(args.synthetic, args.seed)
    else:
        archive = Archive.from_directory(args.fixtures)
    faults = Faults()
    try:
        faults.configure(args.faults)
    except FaultSpecError as exc:
        parser.error(str(exc))
    server = WaybackServer(
        archive, faults, host=args.host, port=args.port, redirect_style=args.redirects
    )
    try:
        server.start()
    except OSError as exc:  # port taken, address not ours: the user can fix it
        parser.exit(
            3,
            f"{parser.prog}: cannot listen on {args.host}:{args.port}: "
            f"{exc.strerror or exc}; pick another --port (0 = any free port)\n",
        )
    print(
        f"Wayback imitation: {len(archive)} captures at {server.base_url}", flush=True
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        logger.info("Stopping")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
