"""The crawl's memory: captures seen, their outcomes, merged into records."""
