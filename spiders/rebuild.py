"""``python -m spiders.rebuild JOB.json``: the crawl half of ``ise-archive rebuild``.

Runs ``ise_blog`` in this process with the job's settings and arguments (written by
:func:`ise_archive.warc.rebuild.rebuild`), every request answered from the WARC
files (:class:`spiders.warc_replay.WarcReplayHandler`). Exits with the crawl's
status, like ``scrapy crawl`` does (:mod:`spiders.commands.crawl`).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.utils.project import get_project_settings

from ise_archive.errors import ConfigError
from ise_archive.exit_codes import ExitCode
from spiders.run import CrawlRun
from spiders.warc_replay import CDX_NOT_IN_WARC

REPLAY_HANDLERS = {
    "http": "spiders.warc_replay.WarcReplayHandler",
    "https": "spiders.warc_replay.WarcReplayHandler",
}


def main(argv: list[str]) -> int:
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "ise_archive.settings")
    settings = get_project_settings()
    settings.setdict(job["settings"], priority="cmdline")
    settings.set("DOWNLOAD_HANDLERS", REPLAY_HANDLERS, priority="cmdline")
    process = CrawlerProcess(settings)
    try:
        crawler = process.create_crawler("ise_blog")
    except ConfigError as exc:
        for problem in exc.problems:
            sys.stderr.write(f"Cannot rebuild: {problem}\n")
        return ExitCode.CONFIG
    process.crawl(crawler, **job["arguments"])
    process.start()
    try:
        run = crawler.get_extension(CrawlRun)
    except RuntimeError:  # the crawl never got as far as its extensions
        run = None
    if process.bootstrap_failed or run is None:
        return ExitCode.INTERNAL
    missing = crawler.stats.get_value(CDX_NOT_IN_WARC, 0)
    if missing:
        sys.stderr.write(
            f"Rebuild failed: the WARC files hold no answer to {missing} CDX "
            "query(ies) of the stored settings (each named above); the dataset "
            "may lack posts\n"
        )
        return max(int(run.exit_code), ExitCode.FAILED)
    return int(run.exit_code)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
