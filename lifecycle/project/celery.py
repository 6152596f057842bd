"""The Celery application. Workers run `celery -A lifecycle.project worker`; settings come from Django's."""

import os

from celery import Celery

import lifecycle.project.broker  # noqa: F401  (registers the embedded broker's transport, lcmfs://)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lifecycle.project.settings")

app = Celery("lifecycle")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
