"""Waiting for something to happen, one way for the whole product: a deadline, the caller's cancel check
between looks, progress in words, and on timeout an error that says what it still waited for.

How a wait blocks between two looks is the caller's `pause`: waits on vCenter block in its
PropertyCollector until vCenter reports a change (datacenters/vsphere/waits.py), so they move on at
once; only waits on an appliance's HTTP endpoint poll (`polling`). Plain Python (no Django).
"""

from __future__ import annotations

import time
from collections.abc import Callable

# Blocks for at most the given seconds (the time left until the deadline); may return sooner.
Pause = Callable[[float], None]


class WaitTimedOut(Exception):
    """The deadline passed; `waiting` is what the wait still waited for, `message` says it all."""

    def __init__(self, *, what: str, timeout: float, waiting: str):
        self.what, self.timeout, self.waiting = what, timeout, waiting
        self.message = f"{what} did not happen within {duration_text(timeout)}: {waiting}"
        super().__init__(self.message)


def wait_until(
    probe: Callable[[], str | None],
    *,
    what: str,
    timeout: float,
    pause: Pause,
    check: Callable[[], None] = lambda: None,
    progress: Callable[[float, str], None] | None = None,
    gave_up: Callable[[WaitTimedOut], BaseException] = lambda timed_out: timed_out,
) -> None:
    """Look with probe() until it returns None (done); until then it returns what it still waits for.

    Before each look check() runs (it raises to stop there: the deployment's cancel); after a look that
    is not done, progress(percent of the timeout, "waiting for <what>: …") and pause(seconds left).
    After `timeout` seconds: raise gave_up(WaitTimedOut(...)), by default the WaitTimedOut itself.
    probe may raise to stop at once (a failed task, a refused setup).
    """
    started = time.monotonic()
    deadline = started + timeout
    while True:
        check()
        waiting = probe()
        if waiting is None:
            return
        now = time.monotonic()
        if now >= deadline:
            raise gave_up(WaitTimedOut(what=what, timeout=timeout, waiting=waiting))
        if progress is not None:
            progress(
                100 * (now - started) / timeout if timeout else 100,
                f"waiting for {what}: {waiting} ({duration_text(now - started)} of at most {duration_text(timeout)})",
            )
        pause(deadline - now)


def polling(interval: float) -> Pause:
    """Look again every `interval` seconds (sooner when the deadline is nearer): for HTTP endpoints."""

    def pause(left: float) -> None:
        time.sleep(max(0.0, min(interval, left)))

    return pause


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(seconds)
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"
