"""`python -m taproot` runs the command line."""

from taproot.cli import main

raise SystemExit(main())
