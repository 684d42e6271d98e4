"""Rendering posts as Markdown documents."""
