from kaffeeklatsch.cli import main

raise SystemExit(main())
