from django.apps import AppConfig


class EnvironmentsConfig(AppConfig):
    name = "environments"

    def ready(self):
        from environments.deploy import operations  # noqa: F401  (registers the environment operations)
