"""Reads of tasks for the pages and the API."""

from django.db.models import Prefetch, Q, QuerySet

from lifecycle.engine.models import Action, Status, Task
from lifecycle.errors import NotFound


def task_list(*, target_type: str | None = None, target_name: str | None = None) -> QuerySet[Task]:
    """Tasks, newest first, of one target if named. The lists people filter pass this through TaskFilterSet."""
    tasks = Task.objects.select_related("created_by")
    if target_type:
        tasks = tasks.filter(target_type=target_type)
    if target_name:
        tasks = tasks.filter(target_name=target_name)
    return tasks.order_by("-pk")


def task_get(*, task_id: int) -> Task:
    """A task with its actions (all attempts) and the tasks it waits for, in three queries."""
    task = (
        Task.objects.select_related("created_by")
        .prefetch_related(
            Prefetch("actions", queryset=Action.objects.order_by("-attempt", "position")),
            Prefetch("preceding_tasks", queryset=Task.objects.only("pk", "status", "operation", "target_name")),
        )
        .filter(pk=task_id)
        .first()
    )
    if task is None:
        raise NotFound(f"task {task_id} does not exist")
    return task


def task_timeline(task: Task) -> tuple[list[Action], list[tuple[int, list[Action]]]]:
    """(the task's actions as they stand now, the rows earlier attempts left behind).

    A restart re-creates only the actions it runs again, at their original positions, so the latest
    row of each position is the current state; the rows it replaced are kept as earlier attempts.
    Uses the prefetched actions.
    """
    latest: dict[int, Action] = {}
    for action in task.actions.all():
        if action.position not in latest or action.attempt > latest[action.position].attempt:
            latest[action.position] = action
    current = sorted(latest.values(), key=lambda a: a.position)
    kept = {a.pk for a in current}
    earlier: dict[int, list[Action]] = {}
    for action in task.actions.all():
        if action.pk not in kept:
            earlier.setdefault(action.attempt, []).append(action)
    return current, [(n, sorted(rows, key=lambda a: a.position)) for n, rows in sorted(earlier.items(), reverse=True)]


def task_progress(task: Task) -> int:
    """Overall percent done of the task's actions as they stand now (prefetched)."""
    current, _ = task_timeline(task)
    if not current:
        return 0
    done = sum(100 if a.status == Status.SUCCESS else a.progress for a in current)
    return int(done / len(current))


def last_tasks(*, target_type: str, target_names: list[str]) -> dict[str, Task]:
    """The newest task of each named target of a type, in one query."""
    from django.db.models import Max

    newest = (
        Task.objects.filter(target_type=target_type, target_name__in=target_names)
        .values("target_name")
        .annotate(newest=Max("pk"))
        .values_list("newest", flat=True)
    )
    return {task.target_name: task for task in Task.objects.filter(pk__in=newest)}


def conflicting_keys(target_key: str) -> Q:
    """Keys that may not run beside target_key: itself, its "/"-ancestors and its descendants."""
    parts = target_key.split("/")
    ancestors = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    return Q(target_key__in=ancestors) | Q(target_key__startswith=target_key + "/")


def tasks_unfinished_on(*, target_key: str) -> QuerySet[Task]:
    """Unfinished tasks that may not run beside a task on target_key."""
    return Task.objects.filter(conflicting_keys(target_key), status__in=Status.unfinished())
