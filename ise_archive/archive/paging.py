"""Paging through one CDX query by resume keys: what follows an answer's key.

A listing is a chain of pages: the first asks without a key, each next one with
the key the page before ended with, and a page without a key is the last. The live
server's keys misbehave in two ways that must not pass for the end of a listing
(the rows after them would be lost in silence):

* a key that **repeats** one already sent in this chain: the server would answer
  the same page for ever. The page is asked once more (:data:`PAGE_AGAIN`, a
  glitch of one answer); a key that repeats again fails the listing
  (``resume-loop``), so the run says discovery failed and the next run lists again.
* a key that **goes backwards** (sorts before the key sent) is followed while it is
  new: the rows it brings again are dropped as duplicates where captures are stored,
  and a key seen before in the chain is a repeat (above), so no chain loops.

The decision is a pure function of the keys sent so far, carried by the chain's
requests (:func:`next_page`); the other bad answer of paging, an empty body where
the page before promised more, is refused by the parser
(:func:`~ise_archive.archive.cdx.parse_cdx_page`, ``resumed=True``).

This module decides; it sends nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

#: How many times the page of a repeated key is asked again before the listing is
#: failed: once, because one bad answer is a glitch and two the server's loop.
PAGE_AGAIN = 1

#: The ``discovery_failed`` reason of a listing whose resume key kept repeating.
RESUME_LOOP = "resume-loop"


@dataclass(frozen=True, slots=True, kw_only=True)
class PageStep:
    """What follows one answer of a listing.

    ``key`` is the resume key to ask next (None: nothing more to ask); ``sent`` the
    keys the chain has sent once that request is made (carried by it); ``again``
    how many times in a row this page has been asked again; ``failure`` a reason
    when the listing failed (then ``key`` is None).
    """

    key: str | None
    sent: tuple[str, ...] = ()
    again: int = 0
    failure: str = ""

    @property
    def done(self) -> bool:
        """The listing was read to its last page."""
        return self.key is None and not self.failure


def next_page(
    sent: tuple[str, ...], received: str | None, *, again: int = 0
) -> PageStep:
    """The step after a page that ended with ``received`` (None: no key), asked with
    ``sent[-1]`` after the chain sent ``sent`` (``()`` for the first page), and
    asked again ``again`` times in a row.

    >>> next_page((), "k1")
    PageStep(key='k1', sent=('k1',), again=0, failure='')
    >>> next_page(("k1",), None).done
    True
    >>> next_page(("k1",), "k1")  # the same page again: asked once more
    PageStep(key='k1', sent=('k1',), again=1, failure='')
    >>> next_page(("k1",), "k1", again=1).failure
    'resume-loop'
    """
    if received is None:
        return PageStep(key=None, sent=sent)
    if received not in sent:
        return PageStep(key=received, sent=(*sent, received))
    if again >= PAGE_AGAIN:
        return PageStep(key=None, sent=sent, again=again, failure=RESUME_LOOP)
    return PageStep(key=sent[-1], sent=sent, again=again + 1)
