"""``python -m followupd``."""

from followupd.cli import main

raise SystemExit(main())
