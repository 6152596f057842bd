"""The task engine: claims and runs actions, decides what runs next, finds orphans.

Every function here is safe to call more than once and from any number of workers at the same time:
state changes are conditional updates on fresh rows, so a duplicated or redelivered message finds
nothing left to do. Each change is one statement on one table, in a transaction of its own: no
transaction is held while an action runs, nor across tables.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import traceback
from collections.abc import Mapping
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils import timezone

from lifecycle.engine.models import Action, Status, Task
from lifecycle.engine.operations import ActionFailed, operation_get, sweep_hooks
from lifecycle.errors import ApplicationError
from lifecycle.secrets import secret_resolve, secrets_redact, secrets_unmask

logger = logging.getLogger(__name__)


class TaskCancelled(Exception):
    """Raised inside an action by ``ctx.check_cancel()`` when the user cancelled the task."""


def machine_id() -> str:
    """Identifies this machine, so that a worker can tell a dead local process from a remote one."""
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            value = Path(path).read_text().strip()
        except OSError:
            continue
        if value:
            return f"{socket.gethostname()}/{value[:12]}"
    return socket.gethostname()


def worker_name() -> str:
    return f"{machine_id()}:{os.getpid()}"


# --- dispatch: the broker only carries ids, sent once the transaction that made the rows commits ---


def _send(celery_task, object_id: int) -> None:
    try:
        celery_task.delay(object_id)
    except Exception:
        # The rows are committed; a worker's sweep re-sends the message of a task left waiting.
        logger.exception(
            "could not send %s(%s) to the broker; the orphan sweep will retry", celery_task.name, object_id
        )


def dispatch_task_begin(task_id: int) -> None:
    from lifecycle.engine import tasks

    transaction.on_commit(lambda: _send(tasks.task_begin, task_id))


def dispatch_action(action_id: int) -> None:
    from lifecycle.engine import tasks

    transaction.on_commit(lambda: _send(tasks.action_run, action_id))


# --- the context an action runs in ---


class ActionContext:
    """What an action function sees: its request, earlier results, and ways to report."""

    def __init__(self, action: Action, task: Task):
        self.action_id = action.pk
        self.task_id = task.pk
        self.item = action.item
        self.attempt = action.attempt
        self._task = task
        self._cancel = threading.Event()
        self._cancel_checked = 0.0
        self._resolved: set[str] = set()  # stored secrets this action resolved: blanked like the request's

    @cached_property
    def request(self) -> dict:
        """The original request with its secrets in place."""
        return secrets_unmask(self._task.request, self._secrets)

    @cached_property
    def _secrets(self) -> dict[str, str]:
        raw = self._task.request_secrets
        return json.loads(raw) if raw else {}

    def redact(self, text: str) -> str:
        return secrets_redact(text, [*self._secrets.values(), *self._resolved])

    def secret(self, value: str, *, path: str = "password") -> str:
        """A secret in clear text (a stored-secret reference resolved), blanked from this action's log,
        messages and traceback from now on."""
        clear = secret_resolve(value, path=path)
        if clear:
            self._resolved.add(clear)
        return clear

    def result_of(self, name: str, *, item: str | None = None) -> dict:
        """The result of the latest successful run of an earlier action of this task."""
        rows = Action.objects.filter(task_id=self.task_id, name=name, status=Status.SUCCESS)
        rows = rows.filter(item=self.item if item is None else item).order_by("-attempt")
        row = rows.values_list("result", flat=True).first()
        if row is None:
            raise ActionFailed(f"the result of the earlier action '{name}' is missing; restart the task from the start")
        return row

    def log(self, line: str) -> None:
        stamp = timezone.now().strftime("%H:%M:%S")
        text = self.redact(f"{stamp} {line}\n")
        Action.objects.filter(pk=self.action_id).update(log=Concat(F("log"), Value(text)))

    def progress(self, percent: float, message: str | None = None) -> None:
        values: dict[str, object] = {"progress": max(0, min(100, int(percent)))}
        if message is not None:
            values["message"] = self.redact(message)
        Action.objects.filter(pk=self.action_id).update(**values)

    def check_cancel(self) -> None:
        """Stop at this safe point if the user cancelled. Call it between steps and in long loops."""
        if not self._cancel.is_set() and time.monotonic() - self._cancel_checked > 1:
            self._cancel_checked = time.monotonic()
            if Task.objects.filter(pk=self.task_id, cancel_requested=True).exists():
                self._cancel.set()
        if self._cancel.is_set():
            raise TaskCancelled()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()


class _Heartbeat(threading.Thread):
    """Beats on the running action so a sweep can tell a live action from an orphan."""

    def __init__(self, ctx: ActionContext):
        super().__init__(name=f"heartbeat-{ctx.action_id}", daemon=True)
        self.ctx = ctx
        self.stopped = threading.Event()

    def run(self):
        try:
            while not self.stopped.wait(settings.LCM_HEARTBEAT_INTERVAL):
                Action.objects.filter(pk=self.ctx.action_id, status=Status.IN_PROGRESS).update(
                    heartbeat_at=timezone.now()
                )
                if Task.objects.filter(pk=self.ctx.task_id, cancel_requested=True).exists():
                    self.ctx._cancel.set()
        except Exception:  # never let a heartbeat failure kill the worker; the sweep will notice
            logger.exception("heartbeat of action %s failed", self.ctx.action_id)
        finally:
            connection.close()


# --- running ---


def task_begin(task_id: int) -> None:
    """Start a task once every task it waits for has finished. Called by the broker; idempotent."""
    waiting = Task.objects.filter(pk=task_id, preceding_tasks__status__in=Status.unfinished()).exists()
    if waiting:
        return  # the last preceding task to finish starts it
    claimed = Task.objects.filter(pk=task_id, status=Status.NOT_STARTED, cancel_requested=False).update(
        status=Status.IN_PROGRESS, started_at=timezone.now()
    )
    if claimed:
        task_advance(task_id)


def action_run(action_id: int) -> None:
    """Claim one action and run it. A second delivery of the same message finds it claimed and exits."""
    if not action_claim(action_id):
        return
    action = Action.objects.select_related("task").get(pk=action_id)
    task = action.task
    if task.cancel_requested:  # cancelled between our claim's check and now
        _action_finish(action_id, Status.CANCELLED, "cancelled before it started")
        task_advance(task.pk)
        return
    operation = operation_get(task.operation)
    spec = operation.action_specs()[action.name]
    ctx = ActionContext(action, task)
    heartbeat = _Heartbeat(ctx)
    heartbeat.start()
    try:
        result = spec.run(ctx)
    except TaskCancelled:
        _action_finish(action_id, Status.CANCELLED, "cancelled by the user; this action stopped at a safe point")
    except ApplicationError as exc:  # any of our own errors is the action's failure, said as it is
        ctx.log(f"failed: {exc.text}")
        _action_finish(action_id, Status.ERROR, ctx.redact(exc.text))
    except Exception as exc:  # a bug or an unforeseen failure: say what, keep the traceback in the log
        trace = traceback.format_exc()
        # The worker's log gets the traceback with the task's secrets blanked out, like the task log.
        logger.error(
            "action %s (%s) of task %s failed unexpectedly:\n%s", action_id, action.name, task.pk, ctx.redact(trace)
        )
        ctx.log("unexpected error:\n" + trace)
        _action_finish(action_id, Status.ERROR, ctx.redact(f"unexpected error: {type(exc).__name__}: {exc}"))
    else:
        if result is not None:
            json.dumps(result)  # fail here, not in the database driver, if an action returns junk
        _action_finish(action_id, Status.SUCCESS, None, result=result)
    finally:
        heartbeat.stopped.set()
        heartbeat.join(timeout=5)
    task_advance(task.pk)


def action_claim(action_id: int) -> bool:
    """Mark the action IN_PROGRESS for this worker if it is still NOT_STARTED in its task's running attempt.

    At most one of any number of concurrent claims succeeds, and none lands in a task that task_advance
    is ending. Every step is one statement in its own transaction, on one table: a transaction that held
    one table while waiting for another could deadlock with anything taking them the other way round
    (a migration, a test database's flush).
    1. The action: its conditions are plain conditions of the UPDATE, which PostgreSQL re-checks on the
       row a concurrent claim just committed. (A filter across the task relation would make Django move
       them into "id IN (SELECT …)", which is not re-checked: two workers could both claim.)
    2. The task: still running this attempt, and its claims counter bumped. task_advance ends a task
       only where the counter is what it saw, so a claim made after its look makes it look again; and a
       task ended before this step is seen here, and the claim undone.
    """
    row = Action.objects.filter(pk=action_id).values("task_id", "attempt").first()
    if row is None:
        return False
    now, worker = timezone.now(), worker_name()
    claimed = Action.objects.filter(pk=action_id, status=Status.NOT_STARTED).update(
        status=Status.IN_PROGRESS, started_at=now, heartbeat_at=now, worker=worker
    )
    if not claimed:
        return False
    running = Task.objects.filter(
        pk=row["task_id"], status=Status.IN_PROGRESS, cancel_requested=False, attempt=row["attempt"]
    ).update(claims=F("claims") + 1)
    if not running:  # ended, cancelled or restarted since this message was sent: as it was
        Action.objects.filter(pk=action_id, status=Status.IN_PROGRESS, worker=worker, started_at=now).update(
            status=Status.NOT_STARTED, started_at=None, heartbeat_at=None, worker=""
        )
        task_advance(row["task_id"])  # a cancel may have seen it running and left the ending to it
        return False
    return True


def _action_finish(action_id: int, status: str, message: str | None, *, result=None) -> None:
    values = {"status": status, "finished_at": timezone.now()}
    if status == Status.SUCCESS:
        values["progress"] = 100
        values["result"] = result
    if message is not None:
        values["message"] = message
    Action.objects.filter(pk=action_id, status=Status.IN_PROGRESS).update(**values)


def task_advance(task_id: int) -> None:
    """Decide what happens next: dispatch the next stage, or finish the task. Idempotent.

    A task is never ended while one of its actions was just claimed (that action would run on in an
    ended task, and a restart could run it a second time beside itself): the ending is conditional on
    the task's claims counter, and a claim since our look makes us look again (see action_claim).
    """
    while True:
        task = Task.objects.filter(pk=task_id).values("status", "attempt", "cancel_requested", "claims").first()
        if not task or task["status"] != Status.IN_PROGRESS:
            return
        ending = _task_next(task_id, task)
        if ending is None:
            return
        status, message = ending
        ended = Task.objects.filter(pk=task_id, status=Status.IN_PROGRESS, claims=task["claims"]).update(
            status=status, message=message, finished_at=timezone.now()
        )
        if ended:
            task_finished_hook(task_id)
            tasks_waiting_start(task_id)
            return


def _task_next(task_id: int, task: Mapping[str, Any]) -> tuple[str, str] | None:
    """Dispatch the next stage, or say how the task ends: (status, message)."""
    actions = list(
        Action.objects.filter(task_id=task_id, attempt=task["attempt"])
        .order_by("position")
        .values("pk", "stage", "status", "message", "title")
    )
    if any(a["status"] == Status.IN_PROGRESS for a in actions):
        return None  # the running action calls us again when it ends
    failed = [a for a in actions if a["status"] in (Status.ERROR, Status.CANCELLED)]
    if any(a["status"] == Status.ERROR for a in failed):
        first = next(a for a in failed if a["status"] == Status.ERROR)
        return Status.ERROR, f"{first['title']}: {first['message']}"
    if failed or task["cancel_requested"]:
        return Status.CANCELLED, "cancelled by the user"
    pending = [a for a in actions if a["status"] == Status.NOT_STARTED]
    if not pending:
        return Status.SUCCESS, ""
    stage = min(a["stage"] for a in pending)
    for a in pending:
        if a["stage"] == stage:
            dispatch_action(a["pk"])
    return None


def task_finished_hook(task_id: int) -> None:
    task = Task.objects.get(pk=task_id)
    hook = operation_get(task.operation).finished
    if hook is None:
        return
    try:
        hook(task=task)
    except Exception:  # the task's own result stands; say what the hook could not do
        logger.exception("the end-of-task step of task %s (%s) failed", task_id, task.operation)


def tasks_waiting_start(task_id: int) -> None:
    """Tasks that waited for this one may start now (each checks its other preceding tasks itself)."""
    for waiting_id in Task.objects.filter(preceding_tasks=task_id, status=Status.NOT_STARTED).values_list(
        "pk", flat=True
    ):
        dispatch_task_begin(waiting_id)


# --- orphans: a worker that died, a message that was lost ---


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def orphans_sweep() -> list[int]:
    """Mark actions whose worker is gone as ERROR, nudge tasks whose message was lost, run the sweep hooks.

    An action is orphaned when its heartbeat is older than LCM_HEARTBEAT_TIMEOUT, or at once when it
    was claimed on this machine by a process that no longer exists. Returns the orphaned action ids.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=settings.LCM_HEARTBEAT_TIMEOUT)
    here = machine_id() + ":"
    orphans = []
    for action in Action.objects.filter(status=Status.IN_PROGRESS).values("pk", "task_id", "worker", "heartbeat_at"):
        worker = action["worker"]
        dead_here = worker.startswith(here) and not _process_alive(int(worker.rsplit(":", 1)[1]))
        silent = action["heartbeat_at"] is None or action["heartbeat_at"] < stale
        if not (dead_here or silent):
            continue
        since = (
            timezone.localtime(action["heartbeat_at"]).strftime("%Y-%m-%d %H:%M:%S %Z")
            if action["heartbeat_at"]
            else "its start"
        )
        message = (
            f"the worker running this action ({worker}) stopped unexpectedly (last heartbeat {since}); "
            "restart the task to continue"
        )
        if _orphan_mark(action["pk"], message):
            orphans.append(action["pk"])
            task_advance(action["task_id"])
    _stalled_nudge(stale)
    for hook in sweep_hooks():  # e.g. a target its task's ending hook left half-settled
        try:
            hook()
        except Exception:
            logger.exception("the sweep hook %s failed", getattr(hook, "__qualname__", hook))
    return orphans


def _orphan_mark(action_id: int, message: str) -> bool:
    updated = Action.objects.filter(pk=action_id, status=Status.IN_PROGRESS).update(
        status=Status.ERROR, message=message, finished_at=timezone.now()
    )
    if updated:
        Action.objects.filter(pk=action_id).update(
            log=Concat(F("log"), Value(timezone.now().strftime("%H:%M:%S ") + message + "\n"))
        )
    return bool(updated)


def _stalled_nudge(stale) -> None:
    """Re-send the message of tasks that have waited too long with nothing running (a lost message).

    Harmless when the message was not lost: the claim lets only one delivery act.
    """
    for task_id in (
        Task.objects.filter(status=Status.NOT_STARTED, created_at__lt=stale)
        .exclude(preceding_tasks__status__in=Status.unfinished())
        .values_list("pk", flat=True)
    ):
        dispatch_task_begin(task_id)
    for task_id in (
        Task.objects.filter(status=Status.IN_PROGRESS, started_at__lt=stale)
        .exclude(actions__status=Status.IN_PROGRESS)
        .exclude(actions__finished_at__gte=stale)
        .values_list("pk", flat=True)
        .distinct()
    ):
        task_advance(task_id)


class SweepThread(threading.Thread):
    """Runs the orphan sweep now and then every LCM_SWEEP_INTERVAL seconds in a worker process."""

    def __init__(self):
        super().__init__(name="lcm-orphan-sweep", daemon=True)
        self.stopped = threading.Event()

    def run(self):
        while True:
            try:
                found = orphans_sweep()
                if found:
                    logger.warning("marked %d orphaned action(s) as failed: %s", len(found), found)
            except Exception:
                logger.exception("orphan sweep failed")
            finally:
                connection.close()
            if self.stopped.wait(settings.LCM_SWEEP_INTERVAL):
                return
