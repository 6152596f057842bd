from django.apps import AppConfig


class LifecycleConfig(AppConfig):
    name = "lifecycle.engine"
    # The label the app had before it moved into lifecycle/engine/: tables (lifecycle_task, …), the
    # django_migrations rows and other apps' migration dependencies all carry it.
    label = "lifecycle"
    verbose_name = "Lifecycle (tasks)"

    def ready(self):
        from django.utils.module_loading import autodiscover_modules

        from lifecycle.engine import signals  # noqa: F401  (worker start-up: orphan sweep)

        autodiscover_modules("operations")
