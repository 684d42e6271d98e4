"""Tests of ise_archive.markdown.local: images and file links to the local copies."""

from __future__ import annotations

from ise_archive.markdown.local import local_targets, localize_markdown

DOC = "posts/2011/10/annual-report.md"
PDF = "http://www.ise.gov/sites/default/files/ISE AR (2011).pdf"
PNG = "http://www.ise.gov/sites/default/files/cover.png"
MARKDOWN = f"""# Annual report

![Cover]({PNG} "The cover")

Read [the report][2] and see ![cover]({PNG}).

## Links

1. <http://www.ise.gov/users/ise-bloggers>
2. <http://www.ise.gov/sites/default/files/ISE%20AR%20(2011).pdf>

[1]: http://www.ise.gov/users/ise-bloggers
[2]: <{PDF}>
"""


def test_images_and_file_definitions_point_at_the_copies() -> None:
    local = {
        PDF: "files/www.ise.gov/sites/default/files/ise-ar-2011-0a1b2c3d.pdf",
        PNG: "files/www.ise.gov/sites/default/files/cover.png",
    }
    text = localize_markdown(MARKDOWN, local, DOC)
    assert text == (
        "# Annual report\n\n"
        '![Cover](../../../files/www.ise.gov/sites/default/files/cover.png "The cover")'
        "\n\nRead [the report][2] and see "
        "![cover](../../../files/www.ise.gov/sites/default/files/cover.png).\n\n"
        "## Links\n\n"
        "1. <http://www.ise.gov/users/ise-bloggers>\n"
        "2. <http://www.ise.gov/sites/default/files/ISE%20AR%20(2011).pdf>\n\n"
        "[1]: http://www.ise.gov/users/ise-bloggers\n"
        "[2]: ../../../files/www.ise.gov/sites/default/files/ise-ar-2011-0a1b2c3d.pdf\n"
    )
    assert local_targets(text) == [
        "../../../files/www.ise.gov/sites/default/files/cover.png",
        "../../../files/www.ise.gov/sites/default/files/cover.png",
        "../../../files/www.ise.gov/sites/default/files/ise-ar-2011-0a1b2c3d.pdf",
    ]


def test_nothing_rescued_nothing_changed() -> None:
    assert localize_markdown(MARKDOWN, {}, DOC) == MARKDOWN
    assert local_targets(MARKDOWN) == []
