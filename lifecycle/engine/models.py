"""Tasks and their actions (the rows the engine runs and every face reads), API tokens and stored secrets.

ApiToken and StoredSecret are not the engine's concern, but their tables (lifecycle_apitoken,
lifecycle_storedsecret) belong to this app's migrations, so the models stay in this app.
"""

from django.conf import settings
from django.db import models

from lifecycle.choices import ColoredChoices
from lifecycle.secrets import EncryptedTextField


class Status(ColoredChoices):
    """Status of a task or of one of its actions."""

    NOT_STARTED = "NOT_STARTED", "secondary", "Not started"
    IN_PROGRESS = "IN_PROGRESS", "primary", "In progress"
    SUCCESS = "SUCCESS", "success", "Success"
    ERROR = "ERROR", "danger", "Error"
    CANCELLED = "CANCELLED", "warning", "Cancelled"

    @classmethod
    def finished(cls) -> tuple[str, ...]:
        return (cls.SUCCESS, cls.ERROR, cls.CANCELLED)

    @classmethod
    def unfinished(cls) -> tuple[str, ...]:
        return (cls.NOT_STARTED, cls.IN_PROGRESS)

    @classmethod
    def restartable(cls) -> tuple[str, ...]:
        """A task in one of these can run again (a new attempt): it failed or was cancelled."""
        return (cls.ERROR, cls.CANCELLED)


class Task(models.Model):
    """One request of a user: an operation on one target object, run as an ordered list of actions."""

    operation = models.CharField(max_length=100, db_index=True)
    target_type = models.CharField(max_length=50)
    target_name = models.CharField(max_length=255)
    # Tasks whose keys are equal, or one a "/"-prefix of the other, never run at once.
    target_key = models.CharField(max_length=500, db_index=True)
    request = models.JSONField(default=dict, help_text="The original request, secrets masked.")
    request_secrets = EncryptedTextField(blank=True, default="", help_text="JSON of the secret values.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_STARTED, db_index=True)
    message = models.TextField(blank=True)
    attempt = models.PositiveIntegerField(default=1)
    cancel_requested = models.BooleanField(default=False)
    # Counts the claims of its actions: the engine ends a task only if none came in since it looked.
    claims = models.PositiveIntegerField(default=0, editable=False)
    preceding_tasks = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="following_tasks")

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["target_type", "target_name"])]

    def __str__(self):
        return f"Task {self.pk} {self.operation} {self.target_name}"

    @property
    def is_finished(self) -> bool:
        return self.status in Status.finished()

    # The questions the page, the API and the services ask before offering or doing a cancel or a
    # restart: answered here only.
    @property
    def is_cancellable(self) -> bool:
        return not self.is_finished

    @property
    def is_restartable(self) -> bool:
        return self.status in Status.restartable()

    status_color = Status.color_property("status")


class Action(models.Model):
    """One step of a task (a "sub-task"). Rows of earlier attempts are kept when a task is restarted."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="actions")
    attempt = models.PositiveIntegerField(default=1)
    position = models.PositiveIntegerField()
    stage = models.PositiveIntegerField(help_text="Actions of one stage run in parallel.")
    name = models.CharField(max_length=100)
    title = models.CharField(max_length=255)
    item = models.CharField(max_length=255, blank=True, help_text="The node (or other item) this copy acts on.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_STARTED)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=255, blank=True, help_text="host:pid of the worker running it.")
    message = models.TextField(blank=True)
    log = models.TextField(blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    checkpoint = models.BooleanField(default=False)
    result = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["task_id", "attempt", "position"]
        constraints = [
            models.UniqueConstraint(fields=["task", "attempt", "position"], name="action_unique_position"),
        ]
        indexes = [models.Index(fields=["status", "heartbeat_at"])]

    def __str__(self):
        return f"{self.task_id}/{self.attempt}/{self.position} {self.name}"

    @property
    def is_finished(self) -> bool:
        return self.status in Status.finished()

    status_color = Status.color_property("status")

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None


class ApiToken(models.Model):
    """A bearer token for the REST API. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"API token of {self.user} (expires {self.expires_at:%Y-%m-%d %H:%M})"


class StoredSecret(models.Model):
    """A secret kept once and referred to as ``ref:password:<ref>`` in specs, so files and exports
    never carry it in clear text twice."""

    ref = models.CharField(max_length=40, unique=True)
    value = EncryptedTextField()
    label = models.CharField(
        max_length=500, blank=True, help_text="Where it was first given, e.g. env1/vcd/dbPassword."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"ref:password:{self.ref}"
