"""A post's images and attached files: which they are, which capture to fetch, what
the record says of each (see ``docs/dataset.md``, "Attachments")."""
