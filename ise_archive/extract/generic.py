"""The fallback extractor: read a post off a page whose template we do not know.

The archive holds ise.gov layouts nobody catalogued (Drupal 6 pages, later themes,
mobile themes, static mirrors). When no known template matches, this module reads
generic evidence instead, most trusted first:

* title: RDFa ``dc:title``, JSON-LD ``headline``, ``og:title``, microdata
  ``headline``, the page's ``<h1>``, the ``<title>`` minus the site-name suffix;
* author: RDFa ``foaf:name``, JSON-LD ``author.name``, microdata, ``<meta
  name=author>``, a byline ("Posted by X on ...", "Submitted by X", "By X");
* published: RDFa ``dc:created``/``dc:date``, ``article:published_time``, JSON-LD
  ``datePublished``, microdata, ``<time datetime>``, date ``<meta>``, then byline
  text, read as US month/day/year, with dateparser last of all;
* body: a Drupal body field if there is one, else the densest block of paragraphs,
  scored by text length and link density outside navigation, sidebars and comments;
* tags: the post's own tag field or ``rel="tag"`` links inside the article, never a
  sidebar tag cloud.

Nothing inside a comment is ever evidence for the post. The module only reads the
parsed document it is given; rendering and record building happen elsewhere.

This module holds the template contract (:func:`matches`, :func:`extract_fields`)
and the link readers (tags, related posts, images). The rest of the reading lives
beside it: :mod:`~ise_archive.extract.regions` (chrome and comments),
:mod:`~ise_archive.extract.body` (body field, densest block, cleanup),
:mod:`~ise_archive.extract.bylines` (bylines, dates written for people) and
:mod:`~ise_archive.extract.evidence` (title, author, date, node id, own URL).
"""

from __future__ import annotations

import logging

from lxml.html import HtmlElement

from ise_archive.extract.body import body_container, clean_body
from ise_archive.extract.bylines import find_bylines
from ise_archive.extract.evidence import (
    read_author,
    read_canonical_url,
    read_json_ld,
    read_nid,
    read_published,
    read_title,
    site_url,
)
from ise_archive.extract.fields import PostFields
from ise_archive.extract.regions import (
    in_chrome,
    in_comment,
    norm,
    text_len,
    tokens,
)
from ise_archive.records import Image, RelatedPost, Tag
from ise_archive.urls import canonical_post_url

logger = logging.getLogger(__name__)

TEMPLATE = "generic"
# Class/id words of a post's own tag field: D7 ".field-name-field-tags", D6 ".terms".
TAG_FIELD_TOKENS = frozenset({"tags", "terms", "taxonomy", "tag"})
# The post's own container around its body: <article>, .node, sioc:Item, hentry.
ARTICLE_XPATH = (
    "ancestor-or-self::*[self::article or @typeof[contains(., 'sioc:Item')]"
    " or @itemtype[contains(., 'Article') or contains(., 'BlogPosting')]"
    " or contains(concat(' ', normalize-space(@class), ' '), ' node ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' hentry ')][1]"
)


def matches(doc: HtmlElement) -> bool:
    """True for any page that looks like it carries an article.

    It is deliberately permissive (the page object tries it last); it only refuses
    pages with no title and no paragraph text at all, and listings of teasers.
    """
    if _listing_shape(doc):
        return False
    has_title = bool(doc.xpath("//title|//h1|//meta[@property='og:title']"))
    return has_title and bool(doc.xpath("//p[string-length(normalize-space()) > 40]"))


def extract_fields(doc: HtmlElement, base_url: str) -> PostFields | None:
    """Read a post's fields from generic evidence; None when there is no post.

    Partial results are fine: a page with a title and a body but no byline gives a
    post without author. Only missing title or body evidence gives None.
    """
    ld = read_json_ld(doc, base_url)
    container = body_container(doc)
    title = read_title(doc, ld)
    if container is None or not title:
        logger.debug("generic: no title/body evidence in %(url)s", {"url": base_url})
        return None
    article = _article_root(container)
    bylines = find_bylines(article, container)
    author, author_url = read_author(doc, ld, bylines, base_url)
    return PostFields(
        title=title,
        author=author,
        author_url=author_url,
        published=read_published(doc, ld, bylines),
        tags=_tags(doc, article, base_url),
        related=_related(article, container, base_url),
        images=_images(container),
        body=clean_body(container, title),
        nid=read_nid(doc),
        canonical_url=read_canonical_url(doc, ld, base_url),
        template=TEMPLATE,
    )


def _listing_shape(doc: HtmlElement) -> bool:
    """Several teasers each headed by a link: a blog listing or tag page."""
    teasers = doc.xpath(
        "//*[self::article or contains(concat(' ', @class, ' '), ' node ')]"
        "[.//*[self::h2 or self::h3]/a]"
    )
    return len(teasers) >= 3 and max(text_len(t) for t in teasers) < 1500


def _article_root(container: HtmlElement) -> HtmlElement:
    """The post's own container (``<article>``, ``.node``, sioc:Item) or the page."""
    found = container.xpath(ARTICLE_XPATH)
    return found[0] if found else container.getroottree().getroot()


def _tags(doc: HtmlElement, article: HtmlElement, base: str) -> tuple[Tag, ...]:
    """The post's own tags: its tag field, else ``rel=tag`` links in the article."""
    links: list[HtmlElement] = []
    for el in article.iter():
        if (
            isinstance(el.tag, str)
            and el.tag not in ("html", "body", "a")
            and tokens(el) & TAG_FIELD_TOKENS
            and not (in_chrome(el, stop=article) or in_comment(el))
        ):
            links = list(el.iter("a"))
            if links:
                break
    if not links:
        links = [
            a
            for a in article.iter("a")
            if "tag" in a.get("rel", "").split()
            and not (in_chrome(a, stop=article) or in_comment(a))
        ]
    tags: dict[str, Tag] = {}
    for a in links:
        name, url = norm(a.text_content()), site_url(a.get("href", ""), base)
        if name and url:
            tags.setdefault(url, Tag(name=name, url=url))
    return tuple(tags.values())


def _related(
    article: HtmlElement, body: HtmlElement, base: str
) -> tuple[RelatedPost, ...]:
    """Links to other posts in a "related"/"reference" block of the article."""
    related: dict[str, RelatedPost] = {}
    for el in article.iter():
        if not isinstance(el.tag, str) or not tokens(el) & {"related", "reference"}:
            continue
        for a in el.iter("a"):
            url = canonical_post_url(site_url(a.get("href", ""), base))
            if url and norm(a.text_content()):
                related.setdefault(
                    url, RelatedPost(title=norm(a.text_content()), url=url)
                )
    return tuple(related.values())


def _images(body: HtmlElement) -> tuple[Image, ...]:
    images: dict[str, Image] = {}
    for img in body.iter("img"):
        src = img.get("src", "")
        if not src or src.startswith("data:"):
            continue
        figure = next((a for a in img.iterancestors() if a.tag == "figure"), None)
        caption = figure.find(".//figcaption") if figure is not None else None
        images.setdefault(
            src,
            Image(
                url=src,
                alt=norm(img.get("alt")),
                caption=norm(caption.text_content()) if caption is not None else "",
            ),
        )
    return tuple(images.values())
