"""``python -m workbook <command>``: the command line, see :mod:`workbook.cli`."""

import sys

from workbook.cli import main

__all__: list[str] = []

if __name__ == "__main__":
    sys.exit(main())
