"""Which URLs the prefix queries already listed in full, so no lookup asks again.

Feeds and listings name post URLs; one the capture index lacks used to be looked up
with an exact CDX query. Under a prefix that discovery already queried, that
question has its answer: every window of the prefix was read to the end (no resume
key left, no failed page), so the archive has no capture of the URL that the
prefix's filters keep. On the held-out-like corpora half of all CDX requests (44 of
88) were such lookups, each 3 s at the live rate (issue 10). An exact lookup remains
for a URL outside every prefix (another host the site used) and for one under a
prefix whose listing failed somewhere.

Matching is by SURT key, as the index files captures: the ``surt`` package is the
Internet Archive's own canonicaliser (host reversed, ``www`` and a scheme's default
port dropped, so ``https://www.ise.gov:80/x`` stays apart under ``gov,ise:80)``).
A prefix query keeps its trailing slash (``ise.gov/node/`` does not cover
``/nodes``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from surt import surt

from ise_archive.archive.cdx import CDXQuery


def surt_key(url: str) -> str:
    """The index key of ``url`` (a scheme is assumed when it has none).

    >>> surt_key("https://www.ise.gov/blog/A-Post?b=1&a=2")
    'gov,ise)/blog/a-post?a=2&b=1'
    >>> surt_key("https://www.ise.gov:80/blog/a"), surt_key("ise.gov/node/")
    ('gov,ise:80)/blog/a', 'gov,ise)/node/')
    """
    with_scheme = url if "://" in url else f"http://{url}"
    key = surt(with_scheme)
    if url.endswith("/") and not key.endswith("/"):
        key += "/"  # a prefix's slash is part of what it matches
    return key


@dataclass
class Coverage:
    """The prefix queries of one discovery, and which of them are read in full.

    Answers are counted per archive (``rank``), each archive listing on its own.

    >>> queries = [CDXQuery(url="ise.gov/blog", from_ts="2010", to_ts="2011"),
    ...            CDXQuery(url="ise.gov/blog", from_ts="2012", to_ts="2012")]
    >>> coverage = Coverage.of(queries)
    >>> coverage.completed(0, queries[0])
    >>> coverage.covers(0, "https://www.ise.gov/blog/a/b")
    False
    >>> coverage.completed(0, queries[1])
    >>> coverage.covers(0, "https://www.ise.gov/blog/a/b"), coverage.covers(
    ...     0, "https://www.dni.gov/blog/a/b"), coverage.covers(1, "ise.gov/blog/a")
    (True, False, False)
    """

    prefixes: dict[str, frozenset[CDXQuery]]
    done: set[tuple[int, CDXQuery]] = field(default_factory=set)

    @classmethod
    def of(cls, queries: Iterable[CDXQuery]) -> Coverage:
        by_key: dict[str, set[CDXQuery]] = {}
        for query in queries:
            if query.match_type == "prefix":
                by_key.setdefault(surt_key(query.url), set()).add(query)
        return cls({key: frozenset(group) for key, group in by_key.items()})

    def completed(self, rank: int, query: CDXQuery) -> None:
        """``query`` was read to its last page in the archive of ``rank``."""
        self.done.add((rank, query))

    def covers(self, rank: int, url: str) -> bool:
        """Whether a prefix over ``url`` was read in full, every window of it."""
        key = surt_key(url)
        return any(
            key.startswith(prefix)
            and all((rank, query) in self.done for query in queries)
            for prefix, queries in self.prefixes.items()
        )
