"""`python -m evals`: see evals/run.py."""

from evals.run import main

raise SystemExit(main())
