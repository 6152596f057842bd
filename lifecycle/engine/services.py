"""Changes to tasks: create, cancel, restart. Every face (pages, API, CLI through the API) calls these."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils import timezone

from lifecycle.engine.models import Action, ApiToken, Status, Task
from lifecycle.engine.operations import ActionSpec, Operation, operation_get
from lifecycle.engine.runner import dispatch_task_begin, task_advance
from lifecycle.engine.selectors import conflicting_keys, tasks_unfinished_on
from lifecycle.errors import Conflict, NotFound, ValidationFailed
from lifecycle.secrets import secrets_mask, secrets_unmask


def _actions_create(task: Task, rows: list[tuple[int, ActionSpec, str, int]], *, attempt: int) -> None:
    """rows: (stage, spec, item, position)."""
    Action.objects.bulk_create(
        [
            Action(
                task=task,
                attempt=attempt,
                position=position,
                stage=stage,
                name=spec.name,
                title=f"{spec.title} ({item})" if item else spec.title,
                item=item,
                checkpoint=spec.checkpoint,
            )
            for stage, spec, item, position in rows
        ]
    )


def _secrets_store(request: dict, operation: Operation) -> tuple[dict, str]:
    """(the request with its secrets as the placeholder, the secrets as JSON for request_secrets)."""
    masked, found = secrets_mask(request, operation.secrets(request))
    return masked, json.dumps(found) if found else ""


@transaction.atomic
def task_create(
    *,
    operation: str,
    target_type: str,
    target_name: str,
    target_key: str,
    request: dict,
    user: User | AnonymousUser | None = None,
) -> Task:
    """Record a task and its actions; it starts after commit, once the tasks it waits for have ended."""
    spec = operation_get(operation)
    masked, secrets = _secrets_store(request, spec)
    preceding = list(tasks_unfinished_on(target_key=target_key).select_for_update().order_by("pk"))
    task = Task.objects.create(
        operation=operation,
        target_type=target_type,
        target_name=target_name,
        target_key=target_key,
        request=masked,
        request_secrets=secrets,
        created_by=user if user is not None and user.is_authenticated else None,
    )
    task.preceding_tasks.set(preceding)
    _actions_create(
        task, [(stage, a, item, pos) for pos, (stage, a, item) in enumerate(spec.plan(request), 1)], attempt=1
    )
    dispatch_task_begin(task.pk)
    return task


def _task_locked(task_id: int) -> Task:
    """The task's row, locked until the caller's transaction ends (NotFound if there is none)."""
    task = Task.objects.select_for_update().filter(pk=task_id).first()
    if task is None:
        raise NotFound(f"task {task_id} does not exist")
    return task


def task_cancel(*, task_id: int, user: User | AnonymousUser | None = None) -> Task:
    """Ask a task to stop. A waiting task stops at once; a running action stops at its next safe point.

    Cancel is not a rollback: what finished stays done.
    """
    with transaction.atomic():
        task = _task_locked(task_id)
        if not task.is_cancellable:
            raise Conflict(f"task {task_id} has already ended ({task.get_status_display().lower()}); nothing to cancel")
        Task.objects.filter(pk=task_id).update(cancel_requested=True)
        if task.status == Status.NOT_STARTED:
            Task.objects.filter(pk=task_id, status=Status.NOT_STARTED).update(
                status=Status.CANCELLED, finished_at=timezone.now(), message="cancelled by the user before it started"
            )
            task_id_to_release = task_id
        else:
            task_id_to_release = None
    if task_id_to_release:
        from lifecycle.engine.runner import task_finished_hook, tasks_waiting_start

        task_finished_hook(task_id_to_release)
        tasks_waiting_start(task_id_to_release)
    else:
        task_advance(task_id)  # nothing running: finish as cancelled now; else the running action will
    return Task.objects.get(pk=task_id)


RESTART_FAILED = "FAILED"
RESTART_CHECKPOINT = "CHECKPOINT"


def task_restart(
    *, task_id: int, mode: str = RESTART_FAILED, request: dict | None = None, user: User | AnonymousUser | None = None
) -> Task:
    """Run a failed or cancelled task again, from the failed action or from its last checkpoint.

    ``request`` (optional) is the corrected input; secrets sent as the placeholder keep their stored
    value. Actions before the restart point are not run again; the earlier attempt stays on record.
    """
    with transaction.atomic():
        task = _task_locked(task_id)
        if not task.is_restartable:
            raise Conflict(
                f"only a failed or cancelled task can be restarted; task {task_id} is {task.get_status_display().lower()}"
            )
        if mode not in (RESTART_FAILED, RESTART_CHECKPOINT):
            raise ValidationFailed.field("mode", f"must be {RESTART_FAILED} or {RESTART_CHECKPOINT}, not {mode!r}")
        operation = operation_get(task.operation)
        current = list(task.actions.filter(attempt=task.attempt).order_by("position"))
        start = _restart_point(task, current, mode)
        if request is not None:
            if operation.input_update is None:
                raise ValidationFailed.field("request", "this operation takes no new input on restart")
            old_secrets = json.loads(task.request_secrets or "{}")
            new_full = operation.input_update(task=task, request=secrets_unmask(request, old_secrets))
            task.request, task.request_secrets = _secrets_store(new_full, operation)
        blocking = (
            Task.objects.filter(conflicting_keys(task.target_key), status=Status.IN_PROGRESS)
            .exclude(pk=task.pk)
            .first()
        )
        if blocking:
            raise Conflict(
                f"task {blocking.pk} ({blocking.operation}) is running on {blocking.target_name}; restart this one when it has ended"
            )
        attempt = task.attempt + 1
        # From a failure, actions that succeeded in its stage (nodes already done) are not run again;
        # from a checkpoint, everything after it runs again.
        specs = operation.action_specs()
        rows = [
            (a.stage, specs[a.name], a.item, a.position)
            for a in current[start:]
            if not (mode == RESTART_FAILED and a.stage == current[start].stage and a.status == Status.SUCCESS)
        ]
        _actions_create(task, rows, attempt=attempt)
        Task.objects.filter(pk=task.pk).update(
            attempt=attempt,
            status=Status.NOT_STARTED,
            cancel_requested=False,
            message="",
            finished_at=None,
            started_at=None,
            request=task.request,
            request_secrets=task.request_secrets,
        )
        task.preceding_tasks.set(tasks_unfinished_on(target_key=task.target_key).exclude(pk=task.pk))
        if operation.restarted is not None:
            operation.restarted(task=task)
        dispatch_task_begin(task.pk)
    return Task.objects.get(pk=task_id)


def _restart_point(task: Task, current: list[Action], mode: str) -> int:
    if mode == RESTART_CHECKPOINT:
        checkpoints = [i for i, a in enumerate(current) if a.checkpoint and a.status == Status.SUCCESS]
        if not checkpoints:
            # The checkpoint may have been reached in an earlier attempt, before this one's rows.
            return 0
        start = checkpoints[-1] + 1
        if start >= len(current):
            raise ValidationFailed.field("mode", "the task failed after its last action; restart it with mode FAILED")
        return _stage_start(current, start)
    for index, action in enumerate(current):
        if action.status in (Status.ERROR, Status.CANCELLED, Status.NOT_STARTED):
            return _stage_start(current, index)
    raise ValidationFailed.field("mode", f"task {task.pk} has no failed action to restart from")


def _stage_start(current: list[Action], index: int) -> int:
    """The first action of the stage that holds current[index]: a stage restarts as a whole."""
    while index > 0 and current[index - 1].stage == current[index].stage:
        index -= 1
    return index


# --- API tokens ---


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_token_create(*, username: str, password: str) -> tuple[str, datetime]:
    """Log in with a username and password; returns (token, expires_at). Only the hash is stored."""
    user = authenticate(username=username, password=password)
    if user is None or not user.is_active:
        raise ValidationFailed(
            "login refused: wrong username or password", errors={"password": ["wrong username or password"]}
        )
    token = secrets.token_urlsafe(32)
    expires_at = timezone.now() + timedelta(hours=settings.LCM_API_TOKEN_HOURS)
    ApiToken.objects.filter(user=user, expires_at__lt=timezone.now()).delete()
    ApiToken.objects.create(user=user, key_hash=_token_hash(token), expires_at=expires_at)
    return token, expires_at


def api_token_user(*, token: str):
    """The active user a token belongs to, or None when it is unknown or expired."""
    row = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_token_hash(token), expires_at__gt=timezone.now())
        .first()
    )
    if row is None or not row.user.is_active:
        return None
    if row.last_used_at is None or timezone.now() - row.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
    return row.user


def api_token_revoke(*, token: str) -> None:
    ApiToken.objects.filter(key_hash=_token_hash(token)).delete()
