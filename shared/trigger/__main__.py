from shared.trigger.run import main

raise SystemExit(main())
