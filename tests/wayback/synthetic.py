"""A synthetic ise.gov archive of N posts, rendered lazily from a seed.

:func:`generate_archive` builds the CDX rows of N invented posts in the page
families of the dev corpus (d7-2011 and d7-2014 full pages, print pages, ``:80``,
``ise.gov``, trailing ``?`` and https variants, byte-identical duplicates, revisits,
http→https 301s, ``/node/N`` 302s, ``/blog?page=N`` listings with a pager and the
RSS feed), so a crawler's work grows with N. Pages are the dev fixtures' own pages
with title, slug, author, dates, node id and body substituted; each payload is
rendered once to compute its digest and then again on every request, so memory
holds rows, never pages. :func:`synthetic_posts` is the ground truth.
"""

from __future__ import annotations

import functools
import json
import logging
import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.wayback.archive import Archive, CaptureRow, sha1_digest, surt_urlkey

logger = logging.getLogger(__name__)

DEV_CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "dev"
EASTERN = ZoneInfo("America/New_York")
FIRST_POST = datetime(2010, 6, 14, 9, 0, tzinfo=EASTERN)
LAST_POST = datetime(2016, 10, 31, 17, 0, tzinfo=EASTERN)
LISTING_CAPTURED = datetime(2016, 12, 1, 12, 0, tzinfo=UTC)
HTTPS_SINCE = datetime(2015, 3, 10, tzinfo=UTC)
D7_2014_SINCE = datetime(2013, 6, 1, tzinfo=UTC)
POSTS_PER_PAGE = 10
AUTHORS = (
    ("ISE Bloggers", "ise-bloggers"),
    ("Kshemendra Paul", "kshemendra-paul"),
    ("Joe LaPorte", "joe-laporte"),
    ("Tamara Wells", "tamara-wells"),
    ("Marcus Delgado", "marcus-delgado"),
)
_WORDS = [
    "information",
    "sharing",
    "fusion",
    "centers",
    "privacy",
    "partners",
    "standards",
    "cyber",
    "threat",
    "response",
    "tribal",
    "local",
    "federal",
    "data",
    "exchange",
    "training",
    "security",
    "community",
    "resilience",
    "analysis",
    "reporting",
    "mission",
    "trust",
    "network",
    "guidelines",
    "interoperability",
    "governance",
    "safeguarding",
    "identity",
    "access",
]
_SUBJECTS = (
    "Our partners",
    "The program office",
    "Fusion center analysts",
    "State and local agencies",
    "The working group",
    "Federal teams",
)
_VERBS = ("expanded", "reviewed", "piloted", "documented", "strengthened", "measured")
_OBJECTS = (
    "the shared services catalog",
    "privacy protections",
    "suspicious activity reporting",
    "the annual report",
    "data exchange standards",
    "training",
)
_ENDINGS = (
    "across the country",
    "during the past year",
    "with tribal partners",
    "ahead of schedule",
    "in close coordination",
    "for the first time",
)
# formats the d7 templates print the post date in ({d} = day without zero padding)
_DATE_FORMATS = (
    "%A, %B %d, %Y",
    "%A, %B {d}, %Y",
    "%a, %m/%d/%Y",
    "%B %d, %Y",
    "%B {d}, %Y",
    "%m/%d/%Y",
    "%a, %d %b %Y %H:%M:%S %z",
)
# /blog/ise-bloggers/world-state-and-local-justice  (a link to some other post)
_POST_LINK = re.compile(r"(?<=/blog/)[a-z0-9-]+/[^\"'/?#<\s]+")
_BODY_START = 'property="content:encoded">'
_BODY_END = "</div></div></div>"
_NODE_ID = re.compile(r"node[-/](\d+)")
# <meta name="description" content="Our thoughts remain with ...
_META_DESCRIPTION = re.compile(
    r'(<meta (?:name|property)="(?:og:|twitter:)?description" content=")[^"]*"'
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SyntheticPost:
    """The ground truth of one synthetic post."""

    index: int
    nid: int
    url: str
    title: str
    author: str
    author_slug: str
    slug: str
    published: datetime
    paragraphs: tuple[str, ...]

    @property
    def path(self) -> str:
        return f"{self.author_slug}/{self.slug}"

    @property
    def body_text(self) -> str:
        return "\n\n".join(self.paragraphs)


def synthetic_posts(n_posts: int, seed: int) -> list[SyntheticPost]:
    """The N posts of a synthetic archive, oldest first (cheap: no pages)."""
    return [_post(i, n_posts, seed) for i in range(n_posts)]


@functools.lru_cache(maxsize=4096)
def _post(index: int, n_posts: int, seed: int) -> SyntheticPost:
    rng = random.Random(f"{seed}:{index}")
    step = (LAST_POST - FIRST_POST) / max(n_posts, 1)
    published = FIRST_POST + step * index + timedelta(minutes=rng.randrange(0, 600))
    published = published.replace(second=0, microsecond=0)
    words = rng.sample(_WORDS, rng.randint(3, 6))
    title = " ".join(w.capitalize() for w in words) + f" Update {index + 1}"
    author, author_slug = AUTHORS[rng.randrange(len(AUTHORS))]
    slug = "-".join(words) + f"-update-{index + 1}"
    paragraphs = tuple(
        " ".join(
            f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} "
            f"{rng.choice(_ENDINGS)}."
            for _ in range(rng.randint(3, 6))
        )
        for _ in range(rng.randint(3, 6))
    )
    return SyntheticPost(
        index=index,
        nid=3000 + 7 * index,
        url=f"http://www.ise.gov/blog/{author_slug}/{slug}",
        title=title,
        author=author,
        author_slug=author_slug,
        slug=slug,
        published=published,
        paragraphs=paragraphs,
    )


@dataclass(frozen=True, slots=True)
class _Template:
    """A page split at the strings to substitute: (literal, key or None) pairs."""

    parts: tuple[tuple[str, str | None], ...]

    def render(self, values: dict[str, str]) -> str:
        return "".join(text + (values[key] if key else "") for text, key in self.parts)


def _compile(text: str, replacements: dict[str, str]) -> _Template:
    """Split ``text`` at every old string; links to other posts become OTHER_PATH.

    Template pages link to posts the synthetic archive does not hold (sidebars,
    previous/next); pointing them at another synthetic post keeps every post link
    resolvable, so a crawler's work stays proportional to N.
    """
    olds = sorted((o for o in replacements if o in text), key=len, reverse=True)
    pattern = re.compile("|".join([_POST_LINK.pattern, *map(re.escape, olds)]))
    parts, pos = [], 0
    for match in pattern.finditer(text):
        found = match.group()
        key = replacements.get(found, "OTHER_PATH")
        parts.append((text[pos : match.start()], key))
        pos = match.end()
    parts.append((text[pos:], None))
    return _Template(tuple(parts))


def _cut_body(text: str) -> str:
    text = _META_DESCRIPTION.sub(lambda m: m[1] + '\x00DESC\x00"', text)
    start = text.index(_BODY_START) + len(_BODY_START)
    return text[:start] + "\x00BODY\x00" + text[text.index(_BODY_END, start) :]


def _date_strings(when: datetime) -> dict[str, str]:
    when = when.astimezone(EASTERN)
    strings = {
        "iso": when.isoformat(),
        "iso-day": when.replace(hour=0, minute=0).isoformat(),
    }
    for fmt in _DATE_FORMATS:
        strings[fmt] = when.strftime(fmt.replace("{d}", str(when.day)))
    return strings


def _post_values(post: SyntheticPost, neighbour: SyntheticPost) -> dict[str, str]:
    values = {
        "BODY": "".join(f"<p>{p}</p>\n" for p in post.paragraphs),
        "DESC": post.paragraphs[0],
        "TITLE": post.title,
        "PATH": post.path,
        "AUTHOR": post.author,
        "AUTHOR_SLUG": post.author_slug,
        "NODE_DASH": f"node-{post.nid}",
        "NODE_SLASH": f"node/{post.nid}",
        "GUID": f"{post.nid} at http",
        "OTHER_PATH": neighbour.path,
    }
    values.update({f"DATE:{k}": v for k, v in _date_strings(post.published).items()})
    return values


def _template_replacements(gold: dict[str, str], nid: str) -> dict[str, str]:
    author_slug = gold["post_id"].split("/")[0]
    replacements = {
        "\x00BODY\x00": "BODY",
        "\x00DESC\x00": "DESC",
        "\x00PAGER\x00": "PAGER",
        gold["title"]: "TITLE",
        gold["post_id"]: "PATH",
        gold["author"]: "AUTHOR",
        author_slug: "AUTHOR_SLUG",
    }
    replacements[f"node-{nid}"] = "NODE_DASH"
    replacements[f"node/{nid}"] = "NODE_SLASH"
    replacements[f"{nid} at http"] = "GUID"
    published = datetime.fromisoformat(gold["published"])
    for key, value in _date_strings(published).items():
        replacements.setdefault(value, f"DATE:{key}")
    return replacements


@dataclass(frozen=True, slots=True)
class _Templates:
    d7_2011: _Template
    d7_2014: _Template
    print_page: _Template
    listing_head: _Template
    listing_item: _Template
    listing_tail: _Template
    feed_head: str
    feed_item: _Template
    feed_tail: str


@functools.lru_cache(maxsize=2)
def _load_templates(corpus: Path = DEV_CORPUS) -> _Templates:
    """Turn dev pages of the seed post (and one 2014 post) into templates."""
    gold_dir = corpus / "gold" / "ise-bloggers"
    seed = json.loads(
        (
            gold_dir / "social-media-and-law-enforcement-tweeting-front-line.json"
        ).read_text()
    )
    boston = json.loads(
        (
            gold_dir
            / "after-boston-how-information-sharing-supported-marathon-response.json"
        ).read_text()
    )

    def page(cid: str) -> str:
        return (corpus / "captures" / f"{cid}.bin").read_text(encoding="utf-8")

    def node_id(cid: str) -> str:
        match = _NODE_ID.search(page(cid))
        assert match, f"no node id in template {cid}"
        return match[1]

    def post_template(cid: str, gold: dict[str, str]) -> _Template:
        text = _cut_body(page(cid))
        return _compile(text, _template_replacements(gold, node_id(cid)))

    seed_nid = node_id("c0015")

    listing = page("c0004")  # /blog in the 2011 theme, the seed post first
    first = listing.index('<div id="node-')
    second = listing.index('<div id="node-', first + 1)
    pager = listing.index('<h2 class="element-invisible">Pages</h2>')
    pager_end = listing.index("</ul></div>", pager) + len("</ul></div>")
    item = _cut_body(listing[first:second])
    feed = page("c0056")  # /iseblog/feed, the seed post first
    items = feed.index("<item>")
    item_end = feed.index("</item>", items) + len("</item>")
    feed_item = re.sub(
        r"<description>.*?</description>",
        "<description>\x00BODY\x00</description>",
        feed[items:item_end],
        flags=re.DOTALL,
    )
    return _Templates(
        d7_2011=post_template("c0015", seed),
        d7_2014=post_template("c0009", boston),
        print_page=post_template("c0063", seed),
        listing_head=_compile(listing[:first], _template_replacements(seed, seed_nid)),
        listing_item=_compile(item, _template_replacements(seed, seed_nid)),
        listing_tail=_compile(
            "\x00PAGER\x00" + listing[pager_end:],
            _template_replacements(seed, seed_nid),
        ),
        feed_head=feed[:items],
        feed_item=_compile(feed_item, _template_replacements(seed, seed_nid)),
        feed_tail=feed[feed.rindex("</item>") + len("</item>") :],
    )


@dataclass(frozen=True, slots=True)
class SyntheticStore:
    """Renders the payload of a synthetic capture from its id: ``p<i>.<kind>``."""

    n_posts: int
    seed: int

    def replay(self, cid: str) -> bytes | None:
        return None

    def payload(self, cid: str) -> bytes:
        templates = _load_templates()
        if cid == "feed":
            return self._feed(templates).encode()
        if cid.startswith("l"):
            return self._listing(templates, int(cid[1:])).encode()
        index, kind = cid[1:].split(".")
        if kind == "node":
            return b""
        values = self._values(int(index))
        if kind == "print":
            return templates.print_page.render(values).encode()
        template = templates.d7_2014 if kind.endswith("14") else templates.d7_2011
        return template.render(values).encode()

    def _values(self, index: int) -> dict[str, str]:
        neighbour = index - 1 if index > 0 else min(1, self.n_posts - 1)
        return _post_values(
            _post(index, self.n_posts, self.seed),
            _post(neighbour, self.n_posts, self.seed),
        )

    def _newest(self, start: int, count: int) -> list[SyntheticPost]:
        last = self.n_posts - 1 - start
        return [
            _post(i, self.n_posts, self.seed)
            for i in range(last, max(last - count, -1), -1)
        ]

    def _listing(self, templates: _Templates, page: int) -> str:
        posts = self._newest(page * POSTS_PER_PAGE, POSTS_PER_PAGE)
        items = []
        for post in posts:
            values = self._values(post.index)
            values["BODY"] = f"<p>{post.paragraphs[0]}</p>"
            items.append(templates.listing_item.render(values))
        chrome = self._values(self.n_posts - 1)
        chrome["PAGER"] = _pager(page, -(-self.n_posts // POSTS_PER_PAGE))
        return (
            templates.listing_head.render(chrome)
            + "".join(items)
            + templates.listing_tail.render(chrome)
        )

    def _feed(self, templates: _Templates) -> str:
        items = []
        for post in self._newest(0, POSTS_PER_PAGE):
            values = self._values(post.index)
            values["BODY"] = f"&lt;p&gt;{post.paragraphs[0]}&lt;/p&gt;"
            items.append(templates.feed_item.render(values))
        return templates.feed_head + "\n  ".join(items) + templates.feed_tail


def _pager(page: int, pages: int) -> str:
    def link(target: int, text: str, title: str) -> str:
        href = "/blog" if target == 0 else f"/blog?page={target}"
        return f'<a title="{title}" href="{href}">{text}</a>'

    def item(css: str, target: int, text: str, title: str) -> str:
        return f'<li class="{css}">{link(target, text, title)}</li>'

    items = []
    if page > 0:
        items.append(item("pager-first first", 0, "« first", "Go to first page"))
        items.append(
            item("pager-previous", page - 1, "‹ previous", "Go to previous page")
        )
    for other in range(max(0, page - 4), min(pages, page + 5)):
        if other == page:
            items.append(f'<li class="pager-current">{page + 1}</li>')
        else:
            items.append(
                item("pager-item", other, str(other + 1), f"Go to page {other + 1}")
            )
    if page < pages - 1:
        items.append(item("pager-next", page + 1, "next ›", "Go to next page"))
        items.append(item("pager-last last", pages - 1, "last »", "Go to last page"))
    return (
        '<h2 class="element-invisible">Pages</h2><div class="item-list">'
        '<ul class="pager">' + "\n".join(items) + "</ul></div>"
    )


def generate_archive(n_posts: int, seed: int) -> Archive:
    """An archive of N synthetic posts (several captures each), listings and a feed."""
    store = SyntheticStore(n_posts, seed)
    archive = Archive(store=store)
    rows = []
    for post in synthetic_posts(n_posts, seed):
        rows.extend(_post_rows(store, post, random.Random(f"{seed}:rows:{post.index}")))
    for page in range(-(-n_posts // POSTS_PER_PAGE)):
        original = "https://www.ise.gov/blog" + (f"?page={page}" if page else "")
        when = LISTING_CAPTURED + timedelta(minutes=page)
        rows.append(_row(store, f"l{page}", original, when))
    feed_time = LISTING_CAPTURED - timedelta(days=1)
    rows.append(
        _row(
            store,
            "feed",
            "https://www.ise.gov/iseblog/feed",
            feed_time,
            mimetype="application/rss+xml",
        )
    )
    archive.extend(rows)
    logger.info(
        "Synthetic archive: %(posts)d posts, %(rows)d captures",
        {"posts": n_posts, "rows": len(rows)},
    )
    return archive


def _post_rows(
    store: SyntheticStore, post: SyntheticPost, rng: random.Random
) -> list[CaptureRow]:
    rows = []
    path = f"/blog/{post.path}"
    first = post.published.astimezone(UTC) + timedelta(
        days=2, minutes=rng.randrange(600)
    )
    host = rng.choice(("www.ise.gov", "www.ise.gov", "www.ise.gov:80", "ise.gov"))
    era = "14" if first >= D7_2014_SINCE else "11"
    rows.append(_row(store, f"p{post.index}.full{era}", f"http://{host}{path}", first))
    if rng.random() < 0.3:  # the same bytes again a few days later (same digest)
        rows.append(
            _row(
                store,
                f"p{post.index}.full{era}",
                f"http://www.ise.gov:80{path}",
                first + timedelta(days=3),
            )
        )
    later = min(first + timedelta(days=rng.randrange(100, 400)), LISTING_CAPTURED)
    era = "14" if later >= D7_2014_SINCE else "11"
    scheme = "https" if later >= HTTPS_SINCE else "http"
    if scheme == "https" and rng.random() < 0.7:
        rows.append(
            _row(
                store,
                f"p{post.index}.node",
                f"http://www.ise.gov{path}",
                later - timedelta(seconds=8),
                status="301",
                location=f"https://www.ise.gov{path}",
            )
        )
    suffix = "?" if rng.random() < 0.15 else ""
    second = _row(
        store,
        f"p{post.index}.full{era}",
        f"{scheme}://www.ise.gov{path}{suffix}",
        later,
    )
    rows.append(second)
    if rng.random() < 0.4:
        revisit_time = min(
            later + timedelta(days=rng.randrange(5, 30)), LISTING_CAPTURED
        )
        rows.append(
            _row(
                store,
                f"p{post.index}.full{era}",
                second.original,
                revisit_time,
                status="-",
                mimetype="warc/revisit",
            )
        )
    if rng.random() < 0.3:
        when = first + timedelta(days=rng.randrange(10, 60))
        rows.append(
            _row(store, f"p{post.index}.print", f"http://www.ise.gov/print{path}", when)
        )
    if rng.random() < 0.25:
        rows.append(
            _row(
                store,
                f"p{post.index}.node",
                f"http://www.ise.gov/node/{post.nid}",
                first + timedelta(hours=5),
                status="302",
                mimetype="unk",
                location=post.url,
            )
        )
    return rows


def _row(
    store: SyntheticStore,
    cid: str,
    original: str,
    when: datetime,
    *,
    status: str = "200",
    mimetype: str = "text/html",
    location: str | None = None,
) -> CaptureRow:
    payload = b"" if location else store.payload(cid)
    stamp = when.astimezone(UTC).strftime("%Y%m%d%H%M%S")
    headers: tuple[tuple[str, str], ...] = (
        ("Date", when.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")),
        ("Server", "Apache"),
    )
    if location:
        headers += (("Location", location),)
    if mimetype != "unk":
        content_type = "text/html" if mimetype == "warc/revisit" else mimetype
        headers += (("Content-Type", f"{content_type}; charset=utf-8"),)
    return CaptureRow(
        cid=cid,
        urlkey=surt_urlkey(original),
        timestamp=stamp,
        original=original,
        mimetype=mimetype,
        statuscode=status,
        digest=sha1_digest(payload),
        length=str(len(payload) // 4 + 300),
        headers=headers,
        location=location,
    )
