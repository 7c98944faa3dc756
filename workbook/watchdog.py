"""Worker processes that exit when their parent dies (killed, out of memory).

:func:`watch_parent` is the initializer of the engine's joblib workers
(:mod:`workbook.workers`). It lives in this light module so that a worker starts watching
before it imports the heavy audio libraries (tens of seconds on a busy machine).

Notebook: none (the engine's workers, 03_features).
"""

from __future__ import annotations

import os
import threading
import time

__all__ = []  # internal to the package: nothing here is meant for notebooks


def watch_parent(parent: int) -> None:
    """Exit this process within half a second of ``parent`` (its parent process) dying."""
    threading.Thread(target=_exit_when_orphaned, args=(parent,), daemon=True).start()


def _exit_when_orphaned(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)  # nobody will read this worker's results
