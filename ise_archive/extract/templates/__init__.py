"""One extractor per ise.gov site template."""
