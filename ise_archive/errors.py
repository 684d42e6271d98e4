"""The exception tree of ise-archive.

Every error the library raises on purpose derives from :class:`IseArchiveError`, so a
caller can catch the library's complaints without catching its bugs::

    IseArchiveError
    ├── ConfigError              a setting or argument is invalid: the run cannot start
    ├── ExtractionError          a page could not be turned into a result
    │   ├── NotHTML              the bytes are not an HTML document (binary, empty, XML)
    │   ├── PageTooLarge         over the configured size limit; never parsed
    │   └── TruncatedCapture     the bytes stop before the document ends: retry it
    ├── ArchiveError             the archive answered with something unusable
    │   ├── CDXError             a CDX answer that is not a capture index
    │   ├── DigestMismatch       replayed bytes differ from the CDX digest, twice
    │   ├── NotInWarc            rebuild: no stored answer for a request
    │   └── ArchiveBlocked       the archive refuses us (firewall): stop, resume later
    ├── StateError               the incremental state database is unusable
    └── DatasetError             a dataset could not be written or is invalid
        ├── UnsafePath           a name from archived data would escape OUTPUT_DIR
        └── DamagedWarc          a stored WARC file cannot be read back whole

A *skip* (a page that is fine but is not a blog post) is not an error: it is a
:class:`ise_archive.records.Skip` value carrying its reason.
"""

from __future__ import annotations


class IseArchiveError(Exception):
    """Base class of every error ise-archive raises on purpose."""


class ConfigError(IseArchiveError):
    """A setting, spider argument or option has a value the run cannot use.

    Raised before the first request, so a misconfigured run stops with a message
    naming the setting (exit 3) instead of running without the component it
    breaks. ``problems`` holds one line per bad value.
    """

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


class ExtractionError(IseArchiveError):
    """A page could not be turned into a post or a skip.

    ``reason`` is the capture's outcome when this error ends it (``failed:<reason>``,
    see :mod:`ise_archive.outcomes`); each subclass names its own.
    """

    reason = "extraction"


class NotHTML(ExtractionError):
    """The bytes are not an HTML document (binary garbage, empty body, a feed...)."""

    reason = "not-html"


class PageTooLarge(ExtractionError):
    """The page is over the size limit; it is refused before parsing."""

    reason = "page-too-large"


class TruncatedCapture(ExtractionError):
    """The page ends before its document does; the capture should be fetched again.

    Raised for transfers cut short (``Content-Length`` larger than the body) and for
    documents that stop mid-markup (no closing ``</html>`` and the body container open).
    """

    reason = "truncated-capture"


class ArchiveError(IseArchiveError):
    """The archive answered with something we cannot use."""


class CDXError(ArchiveError):
    """A CDX server answer that is not a capture index (HTML error page, bad JSON)."""


class DigestMismatch(ArchiveError):
    """The archive replayed a capture whose payload does not hash to the digest its
    own index gives, on two fetches: the bytes were changed in transfer or replay,
    so no record is built from them (they are kept, in the WARC, as evidence)."""


class NotInWarc(ArchiveError):
    """A rebuild asked for something the stored WARC files do not hold (the crawl
    that wrote them never received it, e.g. after a transport error)."""


class ArchiveBlocked(ArchiveError):
    """The archive refuses connections: the Internet Archive firewalls an IP for an
    hour (doubling each time) after a minute of 429s. The run must stop and resume
    later, never report success."""


class StateError(IseArchiveError):
    """The incremental state database is missing, locked or of an unknown version."""


class DatasetError(IseArchiveError):
    """A dataset could not be written, or a written one is invalid."""


class UnsafePath(DatasetError):
    """A file name derived from archived data would leave the output directory."""


class DamagedWarc(DatasetError):
    """A stored WARC file is damaged (a changed byte, a cut gzip member): what is
    read from it cannot be trusted, so nothing is built from it. ``filename`` names
    the file, ``reason`` says what is wrong in one line."""

    def __init__(self, filename: str, reason: str) -> None:
        super().__init__(f"{filename}: {reason}")
        self.filename = filename
        self.reason = reason
