"""Task representations (camelCase, as in the product family's API)."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from lifecycle.engine.models import Action, Task
from lifecycle.engine.operations import operation_title
from lifecycle.engine.selectors import task_progress


class SubTaskSerializer(serializers.ModelSerializer):
    startedAt = serializers.DateTimeField(source="started_at")
    finishedAt = serializers.DateTimeField(source="finished_at")

    class Meta:
        model = Action
        fields = [
            "name",
            "title",
            "attempt",
            "position",
            "stage",
            "item",
            "status",
            "startedAt",
            "finishedAt",
            "progress",
            "message",
            "log",
            "checkpoint",
        ]


class TaskSummarySerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = ["id", "url", "operation", "status"]

    def get_url(self, task) -> str:
        return reverse("api-task-detail", args=[task.pk])


class TaskSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    operationTitle = serializers.SerializerMethodField()
    target = serializers.SerializerMethodField()
    createdBy = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="created_at")
    startedAt = serializers.DateTimeField(source="started_at")
    finishedAt = serializers.DateTimeField(source="finished_at")
    cancelRequested = serializers.BooleanField(source="cancel_requested")
    isCancellable = serializers.SerializerMethodField()
    isRetryable = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = [
            "id",
            "url",
            "operation",
            "operationTitle",
            "target",
            "status",
            "message",
            "attempt",
            "cancelRequested",
            "isCancellable",
            "isRetryable",
            "createdBy",
            "createdAt",
            "startedAt",
            "finishedAt",
        ]

    def get_url(self, task) -> str:
        return reverse("api-task-detail", args=[task.pk])

    def get_operationTitle(self, task) -> str:
        return operation_title(task.operation)

    @extend_schema_field({"type": "object", "properties": {"type": {"type": "string"}, "name": {"type": "string"}}})
    def get_target(self, task) -> dict:
        return {"type": task.target_type, "name": task.target_name}

    def get_createdBy(self, task) -> str | None:
        return task.created_by.get_username() if task.created_by else None

    def get_isCancellable(self, task) -> bool:
        return task.is_cancellable

    def get_isRetryable(self, task) -> bool:
        return task.is_restartable


class TaskDetailSerializer(TaskSerializer):
    progress = serializers.SerializerMethodField()
    precedingTasks = TaskSummarySerializer(source="preceding_tasks", many=True)
    subTasks = SubTaskSerializer(source="actions", many=True)

    class Meta(TaskSerializer.Meta):
        fields = TaskSerializer.Meta.fields + ["progress", "precedingTasks", "subTasks"]

    def get_progress(self, task) -> int:
        return task_progress(task)


class TaskRestartSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=["FAILED", "CHECKPOINT"], default="FAILED")
    request = serializers.JSONField(
        required=False, help_text="The corrected request; secrets may stay as the placeholder."
    )


class TaskAcceptedSerializer(serializers.Serializer):
    """What every mutation answers with (HTTP 202)."""

    taskId = serializers.IntegerField()
    precedingTasks = serializers.ListField(child=serializers.IntegerField())


def task_accepted(task: Task, **more) -> Response:
    """The answer of every request that starts a task: 202 with the task (and `more`, e.g. the stored object)."""
    body = {"taskId": task.pk, "precedingTasks": sorted(task.preceding_tasks.values_list("pk", flat=True))}
    return Response({**body, **more}, status=status.HTTP_202_ACCEPTED)
