"""Reads of tasks for the pages and the API."""
from django.db.models import Prefetch, QuerySet

from lifecycle.errors import NotFound
from lifecycle.models import Action, Status, Task


def task_list(*, status: str | None = None, operation: str | None = None, target_type: str | None = None,
              target_name: str | None = None) -> QuerySet[Task]:
    tasks = Task.objects.select_related("created_by")
    if status:
        tasks = tasks.filter(status=status)
    if operation:
        tasks = tasks.filter(operation=operation)
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


def task_attempts(task: Task) -> list[tuple[int, list[Action]]]:
    """The task's actions grouped by attempt, newest attempt first (uses the prefetched actions)."""
    groups: dict[int, list[Action]] = {}
    for action in task.actions.all():
        groups.setdefault(action.attempt, []).append(action)
    return sorted(groups.items(), reverse=True)


def task_progress(task: Task) -> int:
    """Overall percent done of the current attempt's actions (prefetched)."""
    current = [a for a in task.actions.all() if a.attempt == task.attempt]
    if not current:
        return 0
    done = sum(100 if a.status in (Status.SUCCESS,) or (a.ignore_status and a.is_finished) else a.progress for a in current)
    return int(done / len(current))
