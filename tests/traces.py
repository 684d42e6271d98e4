"""Test helper: a post's Markdown without the archived copies its Links list shows.

The Links list deliberately names each link's archived copy (``Link.archived_url``);
checks that no archive URL leaked into the *content* (replay rewrites, toolbar links)
look at the document with exactly those entries removed, so a leak elsewhere, even
in the Links list, still fails them.
"""

from __future__ import annotations

from ise_archive.markdown.links import archived_entry
from ise_archive.records import Post


def markdown_without_archived_links(post: Post) -> str:
    text = post.markdown
    for link in post.links:
        if link.archived_url:
            text = text.replace(archived_entry(link.archived_url), "")
    return text
