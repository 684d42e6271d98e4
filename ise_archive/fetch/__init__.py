"""Fetching from an archive: how fast each request pool may go, and why it stops."""
