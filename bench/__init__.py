"""Speed figures (`make bench`): not pass/fail tests, numbers for the closing notes."""

import contextlib


def die_with_parent() -> None:
    """In a bench's child process: stop when the bench stops, even when it is killed (Linux)."""
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
