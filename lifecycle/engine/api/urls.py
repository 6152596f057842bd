from django.urls import path

from lifecycle.engine.api import views

urlpatterns = [
    path("auth/token", views.auth_token, name="api-auth-token"),
    path("about", views.about, name="api-about"),
    path("tasks", views.TaskList.as_view(), name="api-task-list"),
    path("tasks/<int:taskId>", views.task_detail, name="api-task-detail"),
    path("tasks/<int:taskId>/request", views.task_request, name="api-task-request"),
    path("tasks/<int:taskId>/cancel", views.task_cancel, name="api-task-cancel"),
    path("tasks/<int:taskId>/restart", views.task_restart, name="api-task-restart"),
]
