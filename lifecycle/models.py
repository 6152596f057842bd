"""Abstract models that the apps' records share (``lifecycle`` itself is no app and has no tables)."""

from django.db import models


class Timestamped(models.Model):
    """A record the user defines and changes: when it was created and last changed."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
