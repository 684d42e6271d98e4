"""ise-archive: rescue the ise.gov blog from web archives into a clean dataset.

The library (this package) never imports Scrapy: archive access, extraction, Markdown
rendering, records and dataset writing are plain Python. The crawler lives in
``spiders/`` and ``pipelines/``.
"""

from __future__ import annotations

__version__ = "0.1.0"
