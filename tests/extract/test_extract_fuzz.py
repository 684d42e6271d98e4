"""Property tests: ``extract`` survives malformed, truncated and hostile pages.

Whatever the bytes, ``extract`` returns a Post or a Skip, or raises one of the
documented :class:`ise_archive.errors.ExtractionError` subclasses; it never hangs,
and no script or ``javascript:`` link survives into the Markdown. Inputs are random
tag soup, deep nesting, random bytes, lying charsets, hostile attributes, and real
dev captures cut short or with bytes flipped.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ise_archive.errors import ExtractionError
from ise_archive.extract import extract
from ise_archive.records import Post, Skip

DEV = Path(__file__).parent.parent / "fixtures" / "dev"
FIXTURES = sorted((DEV / "captures").glob("*.bin")) + sorted(
    (DEV / "replay").glob("*.html")
)
POST_URL = "http://www.ise.gov/blog/ise-bloggers/a-post"
FUZZ = settings(
    max_examples=60,
    deadline=timedelta(seconds=3),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)

TAGS = "html head body title meta div p span a article section table tr td ul li"
TAGS += " h1 h2 script style iframe img form time nav aside br pre blockquote svg"
HOSTILE = (
    '<script>alert("x")</script>',
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<a href="javascript:alert(1)">click me</a>',
    '<a href="JaVaScRiPt:alert(1)">upper</a>',
    '<a href=" javascript:alert(1)">spaced</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD4=">data link</a>',
    '<img src="x" onerror="alert(1)">',
    '<p onclick="steal()">clicky paragraph text</p>',
    '<iframe src="javascript:alert(1)"></iframe>',
    "<svg><script>alert(1)</script></svg>",
    '<a href="/web/20111006123456/http://www.ise.gov/contact">wrapped</a>',
    '<div class="field-name-body"><p property="content:encoded">body</p></div>',
    '<span property="dc:date dc:created" content="not-a-date">x</span>',
    '<script type="application/ld+json">{"@type": "BlogPosting", "headline": 7}'
    "</script>",
    '<script type="application/ld+json">' + "[" * 3000 + "</script>",
    '<meta charset="utf-16">',
    '<meta http-equiv="Content-Type" content="text/html; charset=x-no-such">',
    "<!--",
    "<![CDATA[",
    "<p>Posted by Joe on 13/45/2011 - 99:99</p>",
    '<div class="submitted">By ' + "x" * 500 + "</div>",
    '<a href="' + "h" * 20_000 + '">huge attribute</a>',
    "\x00\x01\ufffd\ud7ff",
    "&#0; &#xD800; &bogus; &amp",
)
text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40
).filter(lambda t: "script" not in t.lower() and "javascript" not in t.lower())
attr = st.sampled_from(["class", "id", "href", "src", "property", "content", "rel"])


@st.composite
def tag_soup(draw: st.DrawFn) -> str:
    """Unbalanced random markup with hostile snippets mixed in."""
    parts = []
    for _ in range(draw(st.integers(0, 60))):
        choice = draw(st.integers(0, 4))
        tag = draw(st.sampled_from(TAGS.split()))
        if choice == 0:
            parts.append(f'<{tag} {draw(attr)}="{draw(text)}">')
        elif choice == 1:
            parts.append(f"</{tag}>")
        elif choice == 2:
            parts.append(draw(st.sampled_from(HOSTILE)))
        else:
            parts.append(draw(text))
    return "".join(parts)


def check(body: bytes, **kwargs: object) -> None:
    """The property itself: a result or a documented error, and no script."""
    try:
        result = extract(body, url=kwargs.get("url", POST_URL), timestamp="2011")
    except ExtractionError:
        return
    assert isinstance(result, Post | Skip)
    if isinstance(result, Post):
        for markdown in (result.markdown, result.body_markdown):
            assert "<script" not in markdown.lower()
            assert "javascript:" not in markdown.lower()
        assert all("/web/" not in link.url for link in result.links)


PARA = "<p>Fusion centers, police and partners share reports, daily and widely.</p>"
POST_PAGE = (
    "<html><head><title>Hostile | Information Sharing Environment</title></head>"
    '<body><div class="node"><div class="content">{body}</div></div></body></html>'
)


def test_hostile_body_is_neutralised() -> None:
    page = POST_PAGE.format(body=PARA * 3 + "".join(HOSTILE[:12]) + PARA)
    result = extract(page.encode(), url=POST_URL, timestamp="2011")
    assert isinstance(result, Post)
    check(page.encode())


@FUZZ
@given(soup=tag_soup())
def test_tag_soup_in_post_body(soup: str) -> None:
    check(POST_PAGE.format(body=PARA * 3 + soup).encode("utf-8", "surrogatepass"))


@FUZZ
@given(soup=tag_soup(), wrap=st.booleans())
def test_tag_soup(soup: str, wrap: bool) -> None:
    if wrap:
        soup = f"<html><head><title>T</title></head><body>{soup}</body></html>"
    check(soup.encode("utf-8", "surrogatepass"))


@FUZZ
@given(soup=tag_soup(), depth=st.sampled_from([500, 5000]))
def test_deep_nesting(soup: str, depth: int) -> None:
    para = PARA * 3
    page = (
        "<html><head><title>Deep | Information Sharing Environment</title></head>"
        f"<body>{'<div>' * depth}{soup}{para}{'</div>' * depth}</body></html>"
    )
    check(page.encode("utf-8", "surrogatepass"))


@FUZZ
@given(data=st.binary(max_size=4096))
def test_random_bytes(data: bytes) -> None:
    check(data)
    check(b"<html><body>" + data + b"</body></html>")


@FUZZ
@given(
    soup=tag_soup(),
    declared=st.sampled_from(["utf-16", "shift_jis", "windows-1252", "bogus", "utf-8"]),
    encoding=st.sampled_from(["utf-8", "cp1252", "latin-1", "utf-16"]),
)
def test_lying_charset(soup: str, declared: str, encoding: str) -> None:
    page = (
        f'<html><head><meta charset="{declared}"><title>Caf\u00e9 \u2013 x</title>'
        f"</head><body><p>\u201cQuoted\u201d \u2014 {soup}</p></body></html>"
    )
    check(page.encode(encoding, "replace"))


@FUZZ
@given(
    path=st.sampled_from(FIXTURES),
    cut=st.floats(0, 1),
    flips=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=8),
)
def test_mutated_fixture(
    path: Path, cut: float, flips: list[tuple[float, int]]
) -> None:
    data = bytearray(path.read_bytes())
    for where, byte in flips:
        if data:
            data[int(where * (len(data) - 1))] = byte
    check(bytes(data[: int(cut * len(data))]))
    check(bytes(data))
