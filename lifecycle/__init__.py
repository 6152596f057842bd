"""Provider Lifecycle Manager: settings, URLs, the Celery app and the task engine."""
from lifecycle.celery import app as celery_app

__all__ = ["celery_app"]
