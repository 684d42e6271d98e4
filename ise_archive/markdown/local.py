"""Pointing a Markdown document's images and file links at their rescued copies.

ise.gov is gone, so an image or a linked report that was rescued into ``files/``
should open from the dataset on disk, offline. The document's Markdown
(:mod:`ise_archive.markdown.document`) names a file in exactly two forms: an image
``![alt](url "title")`` and a link definition ``[n]: url``. This module rewrites
those two forms, for the rescued URLs only, to a path relative to the document's
own file; the visible Links list keeps the original and archived URLs, and the
record's ``links[]`` keep the original URL.

It reads and writes no file.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping

from ise_archive.markdown.links import link_destination


def relative_path(target: str, document: str) -> str:
    """``target`` (a dataset path) as seen from the document at ``document``.

    >>> relative_path("files/www.ise.gov/files/a.pdf", "posts/2011/10/x.md")
    '../../../files/www.ise.gov/files/a.pdf'
    """
    return posixpath.relpath(target, posixpath.dirname(document) or ".")


def localize_markdown(markdown: str, local: Mapping[str, str], document: str) -> str:
    """``markdown`` with images and link definitions of the URLs in ``local``
    (original URL -> dataset path of the copy) pointing at the copy, relative to
    ``document`` (the Markdown file's dataset path).

    >>> text = "![a](http://www.ise.gov/i.png)\\n\\n[1]: http://www.ise.gov/r.pdf"
    >>> print(localize_markdown(text, {"http://www.ise.gov/i.png": "files/i.png",
    ...     "http://www.ise.gov/r.pdf": "files/r.pdf"}, "posts/2011/10/x.md"))
    ![a](../../../files/i.png)
    <BLANKLINE>
    [1]: ../../../files/r.pdf
    """
    for url, path in local.items():
        relative = relative_path(path, document)
        image = re.escape("](" + link_destination(url.replace("|", "%7C")))
        markdown = re.sub(image + r'(?=\)| ")', "](" + relative, markdown)
        definition = r"^(\[\d+\]: )" + re.escape(link_destination(url)) + "$"
        markdown = re.sub(
            definition,
            r"\g<1>" + relative,
            markdown,
            flags=re.MULTILINE,
        )
    return markdown


#: A local destination in a document: an image or a link definition not naming a
#: scheme (what :func:`local_targets` returns for validation).
_LOCAL_IMAGE = re.compile(r"!\[[^\]]*\]\((?P<dest>\.\.?/[^)\s]+)")
_LOCAL_DEFINITION = re.compile(r"^\[\d+\]: (?P<dest>\.\.?/\S+)$", re.MULTILINE)


def local_targets(markdown: str) -> list[str]:
    """The relative destinations of a document (images and link definitions)."""
    found = [m.group("dest") for m in _LOCAL_IMAGE.finditer(markdown)]
    found += [m.group("dest") for m in _LOCAL_DEFINITION.finditer(markdown)]
    return found
