"""SHA-256 checksums of dataset files, computed in constant memory.

The manifest and ``ise-archive validate`` both need a file's digest and size; this is
their one implementation. It only reads files.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

_CHUNK = 1 << 20


def file_sha256(path: Path) -> tuple[str, int]:
    """The hex SHA-256 and the size in bytes of the file at ``path``."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
