"""ise-archive: rescue the ise.gov blog from web archives into a clean dataset.

The library (this package) never imports Scrapy: archive access, extraction, Markdown
rendering, records and dataset writing are plain Python. The crawler lives in
``spiders/`` and ``pipelines/``.
"""

from __future__ import annotations

__version__ = "0.1.0"

# The documented entry point is ``from ise_archive import extract`` (a function);
# binding it here shadows the ``ise_archive.extract`` subpackage attribute, while
# ``from ise_archive.extract import PostPage`` keeps working through sys.modules.
from ise_archive.extract import extract

__all__ = ["__version__", "extract"]
