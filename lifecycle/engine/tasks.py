"""Celery entry points of the task engine: thin adapters that pass ids to the engine."""

from celery import shared_task

from lifecycle.engine import runner


@shared_task(name="lifecycle.task_begin")
def task_begin(task_id: int) -> None:
    runner.task_begin(task_id)


@shared_task(name="lifecycle.action_run")
def action_run(action_id: int) -> None:
    runner.action_run(action_id)
