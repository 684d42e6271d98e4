"""``python -m ise_archive`` is the ``ise-archive`` command."""

from __future__ import annotations

import sys

from ise_archive.cli import main

sys.exit(main())
