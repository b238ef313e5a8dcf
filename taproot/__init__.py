"""Taproot's command line: set-up, the embedded PostgreSQL cluster, migrations, `up` and `test`."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
