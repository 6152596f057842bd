"""The project's configuration, not a Django app: settings, URL map, WSGI, the Celery app and its broker.

Importing the package loads the Celery app, so that `celery -A lifecycle.project` and Django's
start-up find it.
"""

from lifecycle.project.celery import app as celery_app

__all__ = ["celery_app"]
