"""Property tests of ise_archive.markdown.converter: hostile, malformed bodies."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ise_archive.markdown.converter import render_markdown
from ise_archive.records import Post

POST = Post(url="http://www.ise.gov/blog/a/b", title="T", author="A", author_url="/u")
TAGS = [
    "p", "div", "span", "a", "b", "em", "ul", "ol", "li", "table", "tr", "td", "th",
    "h2", "blockquote", "pre", "code", "br", "img", "iframe", "object", "embed",
    "script", "style", "noscript", "svg", "form", "input", "dl", "dt", "dd", "font",
]  # fmt: skip
HOSTILE_URLS = [
    "javascript:alert(1)",
    " JaVaScRiPt:alert(1)",
    "java\nscript:alert(1)",
    "vbscript:x",
    "data:text/html,<script>alert(1)</script>",
    "#frag",
    "/relative?a=1&b=2",
    "http://ex.com/a_(b)|c d<e>",
    "mailto:x@y.gov",
    "http://[bad",
    "",
]
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30
) | st.sampled_from(
    ["<script>alert(1)</script>", "&lt;script&gt;", "1. ", "# ", "*", "_", "|", "]["]
)


def attrs() -> st.SearchStrategy[str]:
    name = st.sampled_from(["href", "src", "onclick", "style", "alt", "title", "data"])
    value = st.sampled_from(HOSTILE_URLS) | st.text(max_size=20) | st.just("x" * 5000)
    pair = st.tuples(name, value).map(
        lambda nv: f' {nv[0]}="{nv[1].replace(chr(34), "&quot;")}"'
    )
    return st.lists(pair, max_size=3).map("".join)


fragments = st.recursive(
    TEXT.map(lambda t: t.replace("<", "&lt;")) | TEXT,
    lambda children: st.tuples(
        st.sampled_from(TAGS), attrs(), st.lists(children, max_size=4), st.booleans()
    ).map(lambda t: f"<{t[0]}{t[1]}>{''.join(t[2])}" + (f"</{t[0]}>" if t[3] else "")),
    max_leaves=30,
)

# link destinations a CommonMark reader would follow: (url), [n]: url, <url>;
# an escaped "\](" is text (hypothesis found the body "](" rendered as "\\](")
_DESTINATIONS = re.compile(
    r"(?<!\\)\]\(<?([^)>\s]*)|^\[\d+\]: <?(\S*?)>?$|<([a-z]+:[^>]*)>", re.M
)


def check(markdown: str) -> None:
    assert "<script" not in markdown.lower()
    for match in _DESTINATIONS.finditer(markdown):
        url = next(g for g in match.groups() if g is not None)
        assert re.match(r"(?i)(https?|ftp|mailto):", url), url
    # Text may *say* "javascript:" (an unclosed <script> leaks what follows its end
    # tag as text, as a browser shows it); it must never be a bare scheme that an
    # autolinker could pick up: the renderer writes it "javascript\:".
    assert "javascript:" not in markdown.lower()
    assert not re.search(r"[ \t]$", markdown, re.M)
    assert "\n\n\n" not in markdown
    assert markdown == "" or (markdown.endswith("\n") and not markdown.endswith("\n\n"))
    assert not re.search("[\ue000-\ue002]", markdown)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fragments)
@example(  # found by hypothesis: the script's end tag leaves an attribute as text
    '<script><p href="data:text/html,<script>alert(1)</script>" '
    'href="javascript:alert(1)">'
)
@example('<img src="x" title="javascript:alert(1)">')  # found by hypothesis
@example('<img src="0" title="data:text/html,<script>alert(1)</script>">')  # too
def test_hostile_fragments_render_safely_and_deterministically(html):
    first = render_markdown(POST, html)
    check(first.markdown)
    check(first.body_markdown)
    assert render_markdown(POST, html) == first
    assert all(re.match(r"(?i)(https?|ftp|mailto):", link.url) for link in first.links)


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=50, max_value=3000), st.sampled_from(["div", "b", "li"]))
def test_deep_nesting_does_not_crash(depth, tag):
    html = f"<{tag}>" * depth + "deep text" + f"</{tag}>" * (depth // 2)

    post = render_markdown(POST, html)

    assert "deep text" in post.body_markdown
    assert post.word_count == 2


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=300).map(lambda b: b.decode("latin-1")))
def test_arbitrary_characters_never_crash(text):
    check(render_markdown(POST, text).markdown)
