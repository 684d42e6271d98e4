"""Normalizing what pages say: charsets, dates, site URLs."""
