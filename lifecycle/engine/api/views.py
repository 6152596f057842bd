"""API endpoints of the engine: login token, about, tasks."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from lifecycle.engine import selectors, services
from lifecycle.engine.api.serializers import (
    TaskAcceptedSerializer,
    TaskDetailSerializer,
    TaskRestartSerializer,
    TaskSerializer,
    task_accepted,
)
from lifecycle.engine.filters import TaskFilterSet
from lifecycle.project.version import version_info


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"})


@extend_schema(
    methods=["POST"],
    request=TokenRequestSerializer,
    responses=inline_serializer("Token", {"token": serializers.CharField(), "expiresAt": serializers.DateTimeField()}),
)
@extend_schema(methods=["DELETE"], request=None, responses={204: None}, description="Revoke the token sent.")
@api_view(["POST", "DELETE"])
@authentication_classes([])
@permission_classes([AllowAny])
def auth_token(request):
    if request.method == "DELETE":
        header = request.headers.get("Authorization", "").split()
        if len(header) != 2 or header[0].lower() != "bearer":
            raise serializers.ValidationError({"Authorization": ["send the token to revoke as 'Bearer <token>'"]})
        services.api_token_revoke(token=header[1])
        return Response(status=status.HTTP_204_NO_CONTENT)
    data = TokenRequestSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    token, expires_at = services.api_token_create(**data.validated_data)
    return Response({"token": token, "expiresAt": expires_at})


@extend_schema(
    responses=inline_serializer("About", {"name": serializers.CharField(), "version": serializers.CharField()})
)
@api_view(["GET"])
def about(request):
    return Response(version_info())


class TaskList(ListAPIView):
    serializer_class = TaskSerializer
    filterset_class = TaskFilterSet

    def get_queryset(self):
        return selectors.task_list()


@extend_schema(responses=TaskDetailSerializer)
@api_view(["GET"])
def task_detail(request, taskId: int):  # noqa: N803 (the API's path parameter)
    task_id = taskId
    return Response(TaskDetailSerializer(selectors.task_get(task_id=task_id)).data)


@extend_schema(responses={200: dict})
@api_view(["GET"])
def task_request(request, taskId: int):  # noqa: N803 (the API's path parameter)
    """The task's original request, secrets masked: send it back to repeat the request."""
    task_id = taskId
    return Response(selectors.task_get(task_id=task_id).request)


@extend_schema(request=None, responses={202: TaskAcceptedSerializer})
@api_view(["POST"])
def task_cancel(request, taskId: int):  # noqa: N803 (the API's path parameter)
    task_id = taskId
    task = services.task_cancel(task_id=task_id, user=request.user)
    return task_accepted(task)


@extend_schema(request=TaskRestartSerializer, responses={202: TaskAcceptedSerializer})
@api_view(["POST"])
def task_restart(request, taskId: int):  # noqa: N803 (the API's path parameter)
    task_id = taskId
    data = TaskRestartSerializer(data=request.data or {})
    data.is_valid(raise_exception=True)
    task = services.task_restart(task_id=task_id, user=request.user, **data.validated_data)
    return task_accepted(task)
