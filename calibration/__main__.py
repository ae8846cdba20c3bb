"""``python -m calibration``: see :mod:`calibration.cli`."""

from calibration.cli import main

raise SystemExit(main())
