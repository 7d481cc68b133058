"""`python -m functions.retention [--dry-run]`: one retention run as a plain process."""

from shared.retention.cli import main

raise SystemExit(main())
