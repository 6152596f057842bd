"""Raw records of tasks and actions: read-only, since changes must go through the engine."""

from django.contrib import admin

from lifecycle.engine.models import Action, ApiToken, StoredSecret, Task


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows of a related model shown as a table on their parent's page (set `model` and `fields`), linked, never edited."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return self.fields


class ActionInline(ReadOnlyInline):
    model = Action
    fields = ["attempt", "position", "stage", "title", "status", "progress", "started_at", "finished_at", "message"]


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "operation",
        "target_type",
        "target_name",
        "status",
        "created_by",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "operation", "target_type"]
    search_fields = ["target_name", "operation"]
    exclude = ["request_secrets"]
    inlines = [ActionInline]


@admin.register(Action)
class ActionAdmin(ReadOnlyAdmin):
    list_display = ["task", "attempt", "position", "name", "status", "worker", "heartbeat_at"]
    list_filter = ["status", "name"]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ["user", "created_at", "expires_at", "last_used_at"]
    exclude = ["key_hash"]


@admin.register(StoredSecret)
class StoredSecretAdmin(ReadOnlyAdmin):
    list_display = ["ref", "label", "created_at"]
    search_fields = ["ref", "label"]
    exclude = ["value"]
