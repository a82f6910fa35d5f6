"""Worker processes that end when the process that started them ends.

A `testimony run` killed with `kill -9` (an operator, the OOM killer, a CI
timeout) cannot tell its worker processes to stop: they used to live on
under PID 1, holding ~300 MB each, until the machine was rebooted. Two
guards, installed in each worker as it starts:

- On Linux, `prctl(PR_SET_PDEATHSIG, SIGKILL)`: the kernel kills the worker
  the moment its parent dies. It is the only guard that works while the
  worker is deep in a native call (tesseract, PDFium), and it costs nothing.
- Everywhere, a daemon thread that checks every second whether the parent is
  still the parent (`os.getppid()` changes when a process is re-parented),
  and ends the worker with `os._exit` if not.

Both check the parent they were told of, so a parent that died before the
guard was set (a race at start-up) is noticed too.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time
from typing import Optional

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
POLL_SECONDS = 1.0
ORPHAN_EXIT_STATUS = 70  # what an orphaned worker exits with (EX_SOFTWARE): never seen by the user


def _libc() -> Optional[ctypes.CDLL]:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name, use_errno=True) if name else None
    except OSError:
        return None


def set_parent_death_signal(sig: int = signal.SIGKILL) -> bool:
    """Ask the kernel to send `sig` to this process when its parent dies (Linux only).
    True when the kernel took the request."""
    if not sys.platform.startswith("linux"):
        return False
    libc = _libc()
    if libc is None:
        return False
    return libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0


def _watch_parent(parent_pid: int, poll_seconds: float) -> None:
    while os.getppid() == parent_pid:
        time.sleep(poll_seconds)
    os._exit(ORPHAN_EXIT_STATUS)


def die_with_parent(parent_pid: int, poll_seconds: float = POLL_SECONDS) -> None:
    """Make this (worker) process end when `parent_pid` ends: see the module docstring."""
    set_parent_death_signal()
    if os.getppid() != parent_pid:  # the parent died before the kernel was asked
        os._exit(ORPHAN_EXIT_STATUS)
    threading.Thread(
        target=_watch_parent, args=(parent_pid, poll_seconds), name="testimony-lifeline", daemon=True
    ).start()
