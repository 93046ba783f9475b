"""``python -m ckanext.budget.docbudg.cli``: ``budget-doc`` without the installed script."""

import sys

from . import main

sys.exit(main())
