"""Extraction: the bytes of an archived page in, a Post or a Skip out.

``extract(body, url=..., timestamp=..., headers=...)`` is the whole job;
:class:`PostPage` is the same as a page object. See ``docs/extraction.md``.
"""

from __future__ import annotations

from ise_archive.extract.page import ExtractOptions, PostPage, body_text, extract

__all__ = ["ExtractOptions", "PostPage", "body_text", "extract"]
