from shared.retention.cli import main

raise SystemExit(main())
