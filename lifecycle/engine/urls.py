"""Pages of tasks (included at "/")."""

from django.urls import path

from lifecycle.engine import views

urlpatterns = [
    path("", views.home, name="home"),
    path("tasks/", views.task_list, name="task-list"),
    path("tasks/<int:task_id>/", views.task_detail, name="task-detail"),
    path("tasks/<int:task_id>/cancel/", views.task_cancel, name="task-cancel"),
    path("tasks/<int:task_id>/restart/", views.task_restart, name="task-restart"),
    path("tasks/<int:task_id>/restart-edited/", views.task_restart_edited, name="task-restart-edited"),
]
