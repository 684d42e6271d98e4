"""Counting the dataset's attachments for the run report and the end summary.

The dataset writer streams every record once; :class:`AttachmentTally` counts the
attachments as they pass (:meth:`~AttachmentTally.counted`): the distinct files the
records name, the distinct copies in ``files/`` and their bytes, and the files
missing, by reason. What *this run* fetched is counted by the crawler as it goes
(``ise_archive/attachments/fetches``, ``bytes``, ``saved``...); the report puts
both together (:func:`ise_archive.report.build_report`).

This module counts values; it performs no I/O.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ise_archive.attachments.discovery import attachment_key
from ise_archive.records import Post

#: The crawler stats the tally fills (the run report reads them back).
STATS_PREFIX = "ise_archive/attachments/dataset/"


@dataclass(slots=True)
class AttachmentTally:
    """The attachments of the records streamed through :meth:`counted`."""

    #: every file the records name (:func:`attachment_key`)
    named: set[str] = field(default_factory=set)
    #: each copy in files/ and its size
    rescued: dict[str, int] = field(default_factory=dict)
    #: (file, reason) of every attachment reported missing
    missing: set[tuple[str, str]] = field(default_factory=set)

    def counted(self, posts: Iterable[Post]) -> Iterator[Post]:
        """``posts``, unchanged, each counted as it passes."""
        for post in posts:
            for attachment in post.attachments:
                key = attachment_key(attachment.url)
                self.named.add(key)
                if attachment.missing:
                    self.missing.add((key, attachment.reason))
                else:
                    self.rescued[attachment.path] = attachment.size
            yield post

    def stats(self) -> dict[str, int]:
        """The counts as crawler stats (:data:`STATS_PREFIX` keys).

        >>> from ise_archive.records import Attachment
        >>> tally = AttachmentTally()
        >>> post = Post(url="http://www.ise.gov/blog/a/b", title="T", attachments=(
        ...     Attachment(url="http://ise.gov/files/a.pdf", kind="file",
        ...                path="files/www.ise.gov/files/a.pdf", size=10),
        ...     Attachment(url="http://www.ise.gov/files/b.png", kind="image",
        ...                missing=True, reason="not-archived")))
        >>> _ = list(tally.counted([post, post]))
        >>> tally.stats()  # doctest: +NORMALIZE_WHITESPACE
        {'ise_archive/attachments/dataset/named': 2,
         'ise_archive/attachments/dataset/rescued': 1,
         'ise_archive/attachments/dataset/rescued_bytes': 10,
         'ise_archive/attachments/dataset/missing/not-archived': 1}
        """
        counts = {
            f"{STATS_PREFIX}named": len(self.named),
            f"{STATS_PREFIX}rescued": len(self.rescued),
            f"{STATS_PREFIX}rescued_bytes": sum(self.rescued.values()),
        }
        reasons = Counter(reason for _, reason in self.missing)
        for reason, n in sorted(reasons.items()):
            counts[f"{STATS_PREFIX}missing/{reason}"] = n
        return counts
