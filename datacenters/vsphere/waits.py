"""Waiting on vCenter: a task until it has ended."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pyVmomi import vim

from datacenters.vsphere.errors import VSphereError, fault_text


class VmTaskFailed(VSphereError):
    """A vCenter task (power on, reconfigure, destroy …) ended in error."""


def task_wait(task: vim.Task, *, what: str, check: Callable[[], None] | None = None, timeout: float = 600) -> Any:
    deadline = time.monotonic() + timeout
    pause = 0.02  # short tasks end in milliseconds; long ones are polled at most once a second
    while True:
        info = task.info
        if info.state == vim.TaskInfo.State.success:
            return info.result
        if info.state == vim.TaskInfo.State.error:
            raise VmTaskFailed(f"{what} failed: {fault_text(info.error)}")
        if time.monotonic() > deadline:
            raise VmTaskFailed(f"{what} did not finish in {timeout:.0f} s")
        if check:
            check()
        time.sleep(pause)
        pause = min(pause * 2, 1.0)
