"""Project commands for ``scrapy``; ``crawl`` replaces Scrapy's own."""
