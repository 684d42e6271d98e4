"""Writing the dataset: records, Markdown tree, card, manifest, validation."""
