from django.apps import AppConfig


class LifecycleConfig(AppConfig):
    name = "lifecycle"
    verbose_name = "Lifecycle (tasks)"

    def ready(self):
        from django.utils.module_loading import autodiscover_modules

        from lifecycle import signals  # noqa: F401  (worker start-up: orphan sweep)

        autodiscover_modules("operations")
