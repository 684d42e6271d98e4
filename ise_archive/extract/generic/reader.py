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
beside it: :mod:`~ise_archive.extract.generic.regions` (chrome and comments),
:mod:`~ise_archive.extract.generic.body` (body field, densest block, cleanup),
:mod:`~ise_archive.extract.generic.bylines` (bylines, dates written for people) and
:mod:`~ise_archive.extract.generic.evidence` (title, author, date, node id, own URL).
"""

from __future__ import annotations

import logging
import re

from lxml.html import HtmlElement

from ise_archive.extract.fields import PostFields, read_images
from ise_archive.extract.generic.body import body_container, clean_body
from ise_archive.extract.generic.bylines import find_bylines
from ise_archive.extract.generic.evidence import (
    read_author,
    read_canonical_url,
    read_json_ld,
    read_nid,
    read_published,
    read_title,
    site_url,
)
from ise_archive.extract.generic.regions import (
    in_chrome,
    in_comment,
    norm,
    text_len,
    tokens,
)
from ise_archive.normalize.urls import canonical_post_url
from ise_archive.records import RelatedPost, Tag

logger = logging.getLogger(__name__)

TEMPLATE = "generic"
# Headings that link to a post: a listing's teasers ("<h3><a href=/blog/a/b>").
TEASER_LINKS = "//h2/a[contains(@href, '/blog/')] | //h3/a[contains(@href, '/blog/')]"
# Body fields and related blocks, where headings linking to posts are the post's.
BODY_FIELD_PROPS = frozenset({"articleBody", "content:encoded"})
BODY_FIELD_CLASSES = frozenset(
    {"field-name-body", "field--name-body", "post-body", "entry-content", "node-body"}
)
#: How far above the body a Blogger-style wrapper holding the title may be.
WRAPPER_DEPTH = 4
# <a itemprop="keywords" href="/category/free-tags/dhs">
TAG_PROPS = frozenset({"keywords", "about"})
# Class/id words of a related-posts block: ".related-posts", "view-iseblog-reference"
RELATED_TOKENS = frozenset({"related", "reference"})
# "#block-views-related-posts-block" in a sidebar
RELATED_IDS = (
    "//*[contains(@id, 'related') or contains(@class, 'related')"
    " or contains(@id, 'reference') or contains(@class, 'reference')]"
    "[.//a[contains(@href, '/blog/')]]"
)
# "Related Posts", "Related posts:", "Reference:", "See also:"
RELATED_LABEL = re.compile(
    r"^(?:related(?:\s+(?:posts?|content|articles|stories|entries|reading))?"
    r"|references?|see\s+also)\s*:?\s*$",
    re.IGNORECASE,
)
# Elements whose first text can be such a label, and those that label their parent.
# Elements whose first text may be such a label (cheap contains() tests only; the
# label itself is checked with RELATED_LABEL), and those that label their parent.
RELATED_LABELS = (
    ".//*[self::h2 or self::h3 or self::h4 or self::strong or self::b"
    " or self::p or self::div or self::span or self::dt][text()[contains(., 'elated')"
    " or contains(., 'ELATED') or contains(., 'eference') or contains(., 'EFERENCE')"
    " or contains(., 'ee also') or contains(., 'EE ALSO')]]"
)
LABEL_TAGS = frozenset({"h2", "h3", "h4", "strong", "b", "dt"})
#: How many label-only wrappers (``<p><font><b>Reference:</b></font></p>``) a label
#: may sit in before the list it introduces.
LABEL_CLIMB = 3
# "Tags:", "Tagged:", "Filed under:", "Topics", "Categories:" (never "Popular tags")
TAG_LABEL = re.compile(
    r"^(?:tags?|tagged(?:\s+with)?|filed\s+under|topics?|categories|keywords)\s*:?$",
    re.IGNORECASE,
)
# Elements whose own first text may be a tag label (cheap contains() tests first).
TAG_LABELS = (
    ".//*[self::b or self::strong or self::span or self::dt or self::h2 or self::h3"
    " or self::h4 or self::em or self::label or self::div or self::p]"
    "[text()[contains(., 'ag') or contains(., 'AG') or contains(., 'opic')"
    " or contains(., 'OPIC') or contains(., 'iled') or contains(., 'ILED')"
    " or contains(., 'ategor') or contains(., 'ATEGOR') or contains(., 'eyword')"
    " or contains(., 'EYWORD')]]"
)
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
    if is_listing(doc):
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
    article = _article_root(container, title)
    bylines = find_bylines(article, container)
    author, author_url = read_author(doc, ld, bylines, base_url)
    return PostFields(
        title=title,
        author=author,
        author_url=author_url,
        published=read_published(doc, ld, bylines),
        tags=_tags(article, container, base_url),
        related=_related(doc, article, container, base_url),
        images=read_images(container),
        body=clean_body(container, title),
        nid=read_nid(doc),
        canonical_url=read_canonical_url(doc, ld, base_url),
        template=TEMPLATE,
    )


def is_listing(doc: HtmlElement) -> bool:
    """A blog listing or tag page in any layout: several teasers each headed by a
    link (``article``/``.node`` teasers), or headings linking to three or more
    different posts outside chrome and outside any body field (a 2016 USWDS
    listing of ``li.views-row`` teasers)."""
    teasers = doc.xpath(
        "//*[self::article or contains(concat(' ', @class, ' '), ' node ')]"
        "[.//*[self::h2 or self::h3]/a]"
    )
    if len(teasers) >= 3 and max(text_len(t) for t in teasers) < 1500:
        return True
    posts: set[str] = set()
    for a in doc.xpath(TEASER_LINKS):
        url = canonical_post_url(a.get("href", ""))
        if url and url not in posts and not _in_post_part(a) and not in_chrome(a):
            posts.add(url)
    return len(posts) >= 3


def _in_post_part(el: HtmlElement) -> bool:
    """Inside a body field or a related-posts block: headings linking to posts
    there are a post's own (a recap of old posts, "Related Posts" teasers)."""
    return any(
        (a.get("itemprop") or a.get("property")) in BODY_FIELD_PROPS
        or tokens(a) & RELATED_TOKENS
        or BODY_FIELD_CLASSES.intersection(a.get("class", "").split())
        for a in el.iterancestors()
    )


def _article_root(container: HtmlElement, title: str) -> HtmlElement:
    """The post's own container (``<article>``, ``.node``, sioc:Item, hentry); for
    a page that marks none, the nearest wrapper of the body that also holds the
    title's heading (Blogger-style ``div.blog-post``); else the whole page."""
    found = container.xpath(ARTICLE_XPATH)
    if found:
        return found[0]
    for depth, wrapper in enumerate(container.iterancestors()):
        if wrapper.tag in ("html", "body") or depth >= WRAPPER_DEPTH:
            break
        if any(norm(h.text_content()) == title for h in wrapper.iter("h1", "h2", "h3")):
            return wrapper
    return container.getroottree().getroot()


def _tags(article: HtmlElement, body: HtmlElement, base: str) -> tuple[Tag, ...]:
    """The post's own tags: its tag field, else ``rel=tag`` links in the article,
    else the links after a "Tags:" / "Topics" / "Filed under:" label."""
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
    if not links:  # rel="tag" (hAtom, WordPress), microdata keywords
        links = [
            a
            for a in article.iter("a")
            if ("tag" in a.get("rel", "").split() or a.get("itemprop") in TAG_PROPS)
            and not (in_chrome(a, stop=article) or in_comment(a))
        ]
    if not links:
        links = _labelled_tag_links(article, body)
    tags: dict[str, Tag] = {}
    for a in links:
        name, url = norm(a.text_content()), site_url(a.get("href", ""), base)
        if name and url:
            tags.setdefault(url, Tag(name=name, url=url))
    return tuple(tags.values())


def _labelled_tag_links(article: HtmlElement, body: HtmlElement) -> list[HtmlElement]:
    """Links that a "Tags:" label introduces, outside the body, chrome and comments:
    ``<b>Tags:</b> <a>DHS</a>, <a>FBI</a>`` (old table layouts), ``<dt>Tags:</dt>
    <dd>...</dd>``, ``<span>Topics</span> <a class="badge">``, ``<h3>Tags</h3><ul>``.
    """
    for label in article.xpath(TAG_LABELS):
        if (
            not TAG_LABEL.match(norm(label.text))
            or label is body
            or body in label.iterancestors()
            or in_comment(label)
            or in_chrome(label, stop=article)
        ):
            continue
        links = [a for scope in _labelled_scope(label) for a in scope.iter("a")]
        if links:
            return links
    return []


def _labelled_scope(label: HtmlElement) -> list[HtmlElement]:
    """What a label introduces: a ``<dt>``'s ``<dd>``s; the rest of the label's
    parent after it; else the element after the label (or after the label-only
    block around it: ``<p><b>Reference:</b></p><ul>``)."""
    if label.tag == "dt":
        scope = []
        for sibling in label.itersiblings():
            if sibling.tag != "dd":
                break
            scope.append(sibling)
        return scope
    if label.tag not in LABEL_TAGS and label.find(".//a") is not None:
        return [label]  # "<p>Filed under: <a>DHS</a>, <a>FBI</a></p>"
    after = list(label.itersiblings())
    if any(el.tag == "a" or el.find(".//a") is not None for el in after):
        return after
    text = norm(label.text_content())
    el = label
    for _ in range(LABEL_CLIMB):
        if el.getnext() is not None:
            return [el.getnext()]
        parent = el.getparent()
        if parent is None or norm(parent.text_content()) != text:
            break
        el = parent
    return []


def _related(
    doc: HtmlElement, article: HtmlElement, body: HtmlElement, base: str
) -> tuple[RelatedPost, ...]:
    """Links to other posts in the post's "related"/"reference" block.

    The block is marked by its class or id (``.related-posts``, ``.yarpp-related``,
    ``view-iseblog-reference``) or by its label ("Related Posts", "Reference:",
    "See also:"): inside the article first, then anywhere outside comments, since
    the 2014 theme and its successors put "Related Posts" in the sidebar. "Recent
    Posts" and "Most Popular" are never read, nor a label inside the body.
    """
    blocks = [
        el
        for el in article.iter()
        if isinstance(el.tag, str) and tokens(el) & RELATED_TOKENS
    ] or _labelled_blocks(article, body)
    if not blocks and article is not doc:
        blocks = [
            el
            for el in doc.xpath(RELATED_IDS)
            if not (in_comment(el) or article in el.iterancestors())
        ] or _labelled_blocks(doc, body)
    related: dict[str, RelatedPost] = {}
    for block in blocks:
        for a in block.iter("a"):
            url = canonical_post_url(site_url(a.get("href", ""), base))
            if url and norm(a.text_content()):
                related.setdefault(
                    url, RelatedPost(title=norm(a.text_content()), url=url)
                )
    return tuple(related.values())


def _labelled_blocks(root: HtmlElement, body: HtmlElement) -> list[HtmlElement]:
    """Blocks labelled "Related Posts" / "Reference:" / "See also:": a heading's
    parent, or the paragraph or line that starts with the label."""
    blocks = []
    for label in root.xpath(RELATED_LABELS):
        if (
            in_comment(label)
            or not RELATED_LABEL.match(norm(label.text))
            or label is body
            or body in label.iterancestors()
        ):
            continue
        block = label.getparent() if label.tag in LABEL_TAGS else label
        if block is not None and block.find(".//a") is None:
            blocks.extend(_labelled_scope(label))  # <p><b>Reference:</b></p><ul>
        elif block is not None:
            blocks.append(block)
    return blocks
