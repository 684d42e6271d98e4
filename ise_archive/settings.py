"""Scrapy project settings for ``scrapy crawl ise_blog``: every default lives here.

Plain data only (this module never imports Scrapy, so the library stays Scrapy-free).
Project settings are prefixed ``ISE_ARCHIVE_``, except ``WAYBACK_BASE_URL`` and
``OUTPUT_DIR``, whose names are part of the command-line contract. Override any of them
with ``-s NAME=value``; they are read and validated once, when the crawl starts.

Politeness defaults follow what Internet Archive staff have said in public threads:
the CDX/timemap endpoints share one pool of about 30 requests/minute per IP (it was
60, before that 100), replay has a separate, higher limit, a minute of 429s gets the
IP firewalled for an hour (seen as *connection refused*), and no ``Retry-After`` is
sent. So: two pools, one keep-alive connection each, CDX at 20/min, replay at
about 1.5/s, a 429 pauses its whole pool for 60 s and halves its rate, and every
answer after it raises the rate by a fifth (ise_archive.fetch.pacing).
"""

from __future__ import annotations

from ise_archive.archive.cdx import (
    DEFAULT_FILTERS,
    DEFAULT_PORT_FORMS,
    DEFAULT_PREFIXES,
)

BOT_NAME = "ise_archive"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
COMMANDS_MODULE = "spiders.commands"

# --- where to read and write --------------------------------------------------------
#: Any Wayback-compatible archive (Internet Archive, pywb, OpenWayback).
WAYBACK_BASE_URL = "https://web.archive.org"
#: Other archives to fill gaps from, comma-separated roots of Wayback Machines or
#: pywb collections (docs/archives.md lists the ones that hold ise.gov, e.g.
#: https://webarchive.library.unt.edu/eot2016). Empty: the main archive alone,
#: and runs cost exactly what they did. Each gets its own rate pools at the same
#: politeness rates (cdx@<name>, replay@<name>).
ISE_ARCHIVE_MORE_ARCHIVES = ""
#: The dataset directory; the incremental state lives in OUTPUT_DIR/.state/.
OUTPUT_DIR = "output"
#: SQLite state file; empty means OUTPUT_DIR/.state/state.sqlite3.
ISE_ARCHIVE_STATE_PATH = ""
#: Base of the human ``archive_url`` written into records; empty means
#: WAYBACK_BASE_URL.
ISE_ARCHIVE_ARCHIVE_URL_BASE = ""

# --- discovery ----------------------------------------------------------------------
#: CDX prefixes (SURT-matched, so each covers ise.gov, www.ise.gov, :80, http/https).
#: The defaults and why each is there: ise_archive.archive.cdx.DEFAULT_PREFIXES.
ISE_ARCHIVE_CDX_PREFIXES = list(DEFAULT_PREFIXES)
#: Spellings ``scheme:port`` whose CDX key keeps the port (``https://www.ise.gov:80``
#: is filed under ``gov,ise:80)``, apart from every prefix above): one more prefix
#: query per prefix and form, over the whole year range (ise_archive.archive.cdx).
ISE_ARCHIVE_CDX_PORT_FORMS = list(DEFAULT_PORT_FORMS)
#: Years covered by discovery, paged in windows (long prefix queries time out, 504).
#: 0 as TO_YEAR means the current year: captures made after the site closed (its
#: redirects and error pages) are listed too, so every capture is accounted for.
ISE_ARCHIVE_FROM_YEAR = 2005
ISE_ARCHIVE_TO_YEAR = 0
ISE_ARCHIVE_CDX_WINDOW_YEARS = 2
#: Rows per CDX page (resume-key paging).
ISE_ARCHIVE_CDX_PAGE_SIZE = 5000
#: Server-side CDX filters, one ``filter=`` param each (``[!]field:regex``). The
#: defaults drop images, CSS, JavaScript and 5xx rows and keep redirects, revisits
#: and archived 404s, which selection accounts for (ise_archive.archive.cdx).
ISE_ARCHIVE_CDX_FILTERS = list(DEFAULT_FILTERS)
#: CDX ``collapse=field[:N]`` (e.g. ``digest`` or ``timestamp:8``); empty = none.
#: Off by default: it drops *adjacent* repeats on the server, so those captures are
#: never listed (nor counted); selection already fetches one capture per digest.
ISE_ARCHIVE_CDX_COLLAPSE = ""
#: Follow the archived RSS feed and blog listings (and their pager) as second sources.
ISE_ARCHIVE_FOLLOW_LISTINGS = True
#: Which captures of each feed and listing page are read: ``newest``, the newest of
#: each ``year`` or ``month`` it was captured in, or ``all`` (every distinct
#: payload). An archived feed lists only the posts of its day, so a post no archive
#: kept a page of is known from the feed captures of its months (partial records,
#: exact lookups). ``month`` costs one replay request per page and month captured
#: (the blog posted fewer posts a month than its feed and pager pages list).
ISE_ARCHIVE_LISTING_SAMPLING = "month"

# --- evidence (WARC) ------------------------------------------------------------------
#: Write every answer the archive gives (captures, CDX pages, its redirects) into
#: OUTPUT_DIR/warc/ as WARC/1.1, and package them as OUTPUT_DIR/ise-archive.wacz:
#: the bytes each record was read from, checkable and replayable (docs/evidence.md).
#: Digests are checked against the CDX index either way.
ISE_ARCHIVE_WARC_ENABLED = True
#: Start a new WARC file once one reaches this size (bytes; 0: no cap). 1 GB is the
#: size web archives (Heritrix, IIPC practice) use, and mirrors copy whole files.
ISE_ARCHIVE_WARC_MAX_BYTES = 1_000_000_000
#: Set by ``ise-archive rebuild`` only: answer every request from the WARC files
#: under this directory (the records this pickled index names: those of the runs
#: replayed so far), and use the extraction done beside it, as it comes, in this
#: directory (ise_archive/warc/prepared.py).
ISE_ARCHIVE_REPLAY_WARC_DIR = ""
ISE_ARCHIVE_REPLAY_ANSWERS = ""
ISE_ARCHIVE_PREPARED_PAGES = ""

# --- politeness -----------------------------------------------------------------------
#: CDX pool: requests per minute (the live limit is ~30/min per IP; stay under it).
ISE_ARCHIVE_CDX_RPM = 20.0
#: Replay pool: requests per second.
ISE_ARCHIVE_REPLAY_RPS = 1.5
#: Connections per pool (the archive asks for one keep-alive connection).
ISE_ARCHIVE_CDX_CONCURRENCY = 1
ISE_ARCHIVE_REPLAY_CONCURRENCY = 1
#: A 429 pauses its whole pool this long (seconds) unless Retry-After says otherwise
#: (up to ISE_ARCHIVE_RETRY_AFTER_MAX): its next request goes when the pause ends.
#: It also divides the pool's rate by ISE_ARCHIVE_429_BACKOFF (once for the requests
#: already in flight).
ISE_ARCHIVE_429_PAUSE = 60.0
#: The longest Retry-After (seconds, or an HTTP-date that far ahead) a pool waits
#: out. A longer one is the archive saying "come back later" (its firewall lasts
#: about an hour): holding the pool that long would make the run look hung, and
#: asking sooner would ignore the archive. So the run stops as for an unreachable
#: archive: one ERROR line saying when to come back, state kept, exit 75 (another
#: archive, ISE_ARCHIVE_MORE_ARCHIVES, is set aside and the run goes on without it).
ISE_ARCHIVE_RETRY_AFTER_MAX = 300.0
ISE_ARCHIVE_429_BACKOFF = 2.0
#: Each answer that is neither a 429 nor an error raises the pool's rate by this
#: share of itself, up to the configured rate (0.2: a halved pool is back at full
#: rate after 4 answers), so occasional 429s over a run of hours leave it close to
#: the configured rate (ise_archive.fetch.pacing says why not a fixed step). With a
#: 429 on 5 % of requests at the default rates (benchmarks/crawl.py --faults, N=400)
#: replay ran at 83 % of its rate over the run with 0.2, 89 % with 0.3; but 0.3
#: brought a pool configured far above a server's limit down to it more slowly,
#: with more 429s on the way (tests/e2e/test_faults.py's limiter: one CDX request
#: then met 9 in a row in 3 runs of 8), so 0.2 stays.
ISE_ARCHIVE_RATE_RECOVERY = 0.2
#: How often one request may be answered 429 before it is reported as failed.
ISE_ARCHIVE_429_MAX_RETRIES = 8
#: *Connection refused* means the IP is firewalled: stop, keep state, exit 75.
ISE_ARCHIVE_STOP_ON_REFUSED = True
#: Transport failures in a row (no answer in between) after which a host counts as
#: unreachable: one ERROR line, stop, keep state, exit 75. With the default pauses
#: 5 takes well under a minute, and 5 unlucky requests in a row are rare.
ISE_ARCHIVE_UNREACHABLE_AFTER = 5

# --- extraction and results -----------------------------------------------------------
#: Pages larger than this are refused unparsed (reported as failed:page-too-large).
ISE_ARCHIVE_MAX_PAGE_BYTES = 5 * 1024 * 1024
#: Rescue the posts' images and linked ise.gov files into OUTPUT_DIR/files/ (an
#: attachments phase after the posts: a few CDX prefix queries, one raw fetch per
#: distinct file content). Off, records list no attachments.
ISE_ARCHIVE_ATTACHMENTS = True
#: Files larger than this are not fetched (reported missing, reason "too-large"):
#: the site's largest reports are a few MB, and a stray video or disk image must not
#: fill the disk or hold the replay pool for minutes.
ISE_ARCHIVE_MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024
#: Ask the CDX server, once per distinct link of the posts (the main archive, its
#: ``cdx`` pool), whether any capture of the link exists, and say so in
#: ``links[].archived``. Off by default: ``links[].archived_url`` already costs
#: nothing (the archive redirects it to its nearest capture), and at the default 20
#: CDX requests a minute the few thousand distinct links of the blog cost hours.
ISE_ARCHIVE_CHECK_LINKS = False
#: Captures of one post tried (newest first, then the print page) before the post is
#: reported lost. Broken captures (cut at crawl time, empty, soft-404s, the archive's
#: notices) come in runs after a site's decline, so a small number loses posts that
#: still have good older captures.
ISE_ARCHIVE_MAX_ATTEMPTS = 8
#: How often a capture whose document came back cut short is fetched again. A cut
#: *transfer* is caught by Scrapy (DOWNLOAD_FAIL_ON_DATALOSS) and retried like any
#: transport error, so a document still cut after a complete transfer was almost
#: always truncated in the archive itself: one more try, then the next capture.
ISE_ARCHIVE_TRUNCATED_RETRIES = 1
#: Later runs that fetch again a capture the archive failed to serve in a way that
#: is usually for good but may be its passing glitch: "not archived" for a capture
#: its own index lists, or bytes that differed from the index's digest on both
#: fetches of a run (ise_archive.outcomes.RECHECKED_FAILURES). Both are first
#: fetched once more within the run. 3: a glitch of a night or two heals, and a
#: capture the archive really lost costs one request in 3 runs, then none.
ISE_ARCHIVE_RECHECK_RUNS = 3
#: Exit non-zero when more than this share of fetched captures failed.
ISE_ARCHIVE_MAX_FAILURE_SHARE = 0.05
#: Seconds between progress lines (0 disables them).
ISE_ARCHIVE_PROGRESS_INTERVAL = 60.0
#: At a terminal ("auto"): a live progress view and only warnings, errors and the
#: summary on the console (spiders/terminal.py); "off": the log lines as in cron.
ISE_ARCHIVE_PROGRESS_VIEW = "auto"
#: Requests planned per scheduling round (keeps the scheduler's memory flat).
ISE_ARCHIVE_PLAN_BATCH = 500

# --- Scrapy ---------------------------------------------------------------------------
USER_AGENT = (
    "ise-archive/0.1 (archival research crawler; +https://github.com/ise-archive)"
)
ROBOTSTXT_OBEY = False  # we read an archive, not the (dead) site
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
CONCURRENT_REQUESTS = 4
# Our item pipelines are synchronous, so items cannot overlap anyway; Scrapy starts
# CONCURRENT_ITEMS asyncio tasks for every callback's output (default 100: 227,000
# idle tasks in a 2,000-post rebuild, a fifth of its time).
CONCURRENT_ITEMS = 1
DOWNLOAD_TIMEOUT = 90
DOWNLOAD_FAIL_ON_DATALOSS = True  # a truncated transfer raises and is retried
RETRY_ENABLED = True
RETRY_TIMES = 6
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408]
# Connection refused is *not* retried: it means a firewall block (see above).
RETRY_EXCEPTIONS = [
    "scrapy.exceptions.CannotResolveHostError",
    "scrapy.exceptions.DownloadFailedError",
    "scrapy.exceptions.DownloadTimeoutError",
    "scrapy.exceptions.ResponseDataLossError",
    "twisted.internet.error.ConnectionDone",
    "twisted.internet.error.ConnectionLost",
    "twisted.web._newclient.ResponseFailed",
    # no route to host, TCP timeouts (Scrapy passes these on unwrapped)
    "twisted.internet.error.ConnectError",
    OSError,
]
DOWNLOADER_MIDDLEWARES = {
    # routing to pools, 429 pauses, retries with pauses, rate recovery, outages
    "spiders.middlewares.ArchivePoolsMiddleware": 550,
    "spiders.encoding.DuplicateEncodingMiddleware": 595,
    # the coded body's digest, before HttpCompressionMiddleware (590) decodes it
    "spiders.evidence.RawDigestMiddleware": 592,
    # stops a page or file at its size cap keeping the answer's head, which the
    # evidence middleware writes (WARC-Truncated) before it is refused (520)
    "spiders.size_cap.StopAtSizeMiddleware": 597,
    "spiders.size_cap.RefuseStoppedMiddleware": 520,
    # after the pools and retries (550): only final answers are checked and kept
    "spiders.evidence.WarcEvidenceMiddleware": 530,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
}
ITEM_PIPELINES = {
    "pipelines.state.CaptureStatePipeline": 100,
    "pipelines.dataset.DatasetPipeline": 900,
}
EXTENSIONS = {
    # The run's settings, state database and outcome (spiders/run.py): shared by
    # the spider, the pipelines and the progress line.
    "spiders.run.CrawlRun": 0,
    "spiders.progress.ProgressLog": 500,
    "spiders.terminal.ProgressView": 510,
    # With JOBDIR, SpiderState would replace ``spider.state`` (the crawl's SQLite
    # state) with a pickled dict. The state database already persists everything
    # a resumed run needs, so Scrapy's dict is not wanted.
    "scrapy.extensions.spiderstate.SpiderState": None,
}
LOG_LEVEL = "INFO"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"

#: 5xx/transport retries pause their pool base * 2**(n-1) seconds, at most MAX,
#: where n counts the pool's errors in a row (an answer resets it).
ISE_ARCHIVE_RETRY_BACKOFF_BASE = 2.0
ISE_ARCHIVE_RETRY_BACKOFF_MAX = 120.0
