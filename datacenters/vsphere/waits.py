"""Waiting on vCenter without polling: a `Watch` keeps some properties of one managed object as vCenter
reports them, blocking in the PropertyCollector's WaitForUpdatesEx until they change, so that a wait
(lifecycle/waits.wait_until) moves on the moment vCenter reports. Task completion is awaited this way.

Each watch has a property collector of its own (CreatePropertyCollector), so that concurrent waits on
one session never take each other's updates; it and its filter are destroyed when the watch ends.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from typing import Any

from pyVmomi import vim, vmodl

from datacenters.vsphere.errors import VSphereError, fault_text
from lifecycle.waits import wait_until

logger = logging.getLogger(__name__)

PropertyCollector = vmodl.query.PropertyCollector

# The longest one WaitForUpdatesEx blocks: the wait checks its cancel and deadline about once a second.
BLOCK_SECONDS = 1


class VmTaskFailed(VSphereError):
    """A vCenter task (power on, reconfigure, destroy …) ended in error."""


class Watch:
    """The properties `names` (vSphere path → our name) of one managed object, as vCenter last reported
    them, in `values` (a property vCenter reports unset is absent)."""

    def __init__(self, collector: Any, *, names: dict[str, str], gone: Callable[[], BaseException]):
        self._collector, self._names, self._gone = collector, names, gone
        self._version = ""
        self.values: dict[str, Any] = {}

    def pause(self, left: float) -> None:
        """Block until vCenter reports a change of the properties (at most about a second), and apply it.
        A lookup's `pause` (lifecycle/waits.py)."""
        self.update()

    def update(self) -> None:
        options = PropertyCollector.WaitOptions(maxWaitSeconds=BLOCK_SECONDS)
        try:
            result = self._collector.WaitForUpdatesEx(version=self._version, options=options)
        except vmodl.fault.ManagedObjectNotFound:
            raise self._gone() from None
        if result is None:  # nothing changed within maxWaitSeconds
            return
        self._version = result.version
        for filter_update in result.filterSet or []:
            for update in filter_update.objectSet or []:
                if update.kind == "leave":
                    raise self._gone()
                for change in update.changeSet or []:
                    name = self._names.get(change.name, change.name)
                    if change.op in ("remove", "indirectRemove"):
                        self.values.pop(name, None)
                    else:
                        self.values[name] = change.val


@contextlib.contextmanager
def watch(obj: Any, *, names: dict[str, str], gone: Callable[[], BaseException] | None = None) -> Iterator[Watch]:
    """A Watch of the managed object `obj` (of the session it was read in), its values read at once.

    `gone()` is raised when the object does not exist or is removed while watched."""
    gone = gone or (lambda: VSphereError(f"{obj._moId} no longer exists in vCenter"))
    content = vim.ServiceInstance("ServiceInstance", obj._stub).RetrieveContent()
    collector = content.propertyCollector.CreatePropertyCollector()
    try:
        spec = PropertyCollector.FilterSpec(
            objectSet=[PropertyCollector.ObjectSpec(obj=obj, skip=False)],
            propSet=[PropertyCollector.PropertySpec(type=type(obj), pathSet=list(names))],
        )
        try:
            property_filter = collector.CreateFilter(spec, partialUpdates=False)
        except vmodl.fault.ManagedObjectNotFound:
            raise gone() from None
        try:
            current = Watch(collector, names=names, gone=gone)
            current.update()  # the first call answers at once with the current values
            yield current
        finally:
            _quietly(property_filter.DestroyPropertyFilter, "destroying a property filter")
    finally:
        _quietly(collector.DestroyPropertyCollector, "destroying a property collector")


def _quietly(call: Callable[[], Any], what: str) -> None:
    """Clean-up after a wait: the session may be gone already, and the wait's own outcome matters more."""
    try:
        call()
    except Exception as exc:
        logger.debug("%s failed: %s", what, exc)


def task_wait(task: vim.Task, *, what: str, check: Callable[[], None] | None = None, timeout: float = 600) -> Any:
    """The result of a vCenter task once it has ended; VmTaskFailed when it failed or outlasted `timeout`."""
    names = {"info.state": "state", "info.error": "error", "info.result": "result"}
    with watch(
        task, names=names, gone=lambda: VmTaskFailed(f"{what} failed: vCenter no longer knows its task")
    ) as info:

        def ended() -> str | None:
            state = info.values.get("state")
            if state == vim.TaskInfo.State.success:
                return None
            if state == vim.TaskInfo.State.error:
                raise VmTaskFailed(f"{what} failed: {fault_text(info.values.get('error'))}")
            return f"the task is {state or 'not started'}"

        wait_until(
            ended,
            what=what,
            timeout=timeout,
            pause=info.pause,
            check=check or (lambda: None),
            gave_up=lambda _: VmTaskFailed(f"{what} did not finish in {timeout:.0f} s"),
        )
        return info.values.get("result")
