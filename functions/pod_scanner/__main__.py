"""`python -m functions.pod_scanner`: one scan as a plain process (the CronJob form)."""

from functions.pod_scanner.podscan.cli import main

raise SystemExit(main())
