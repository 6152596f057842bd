"""Django settings, read from environment variables only.

Embedded default (no servers): SQLite file and Celery on kombu's file-system transport, both under
LCM_DATA_DIR. Production: DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis or RabbitMQ).
"""

import os
from pathlib import Path

from lifecycle.project.config import (
    data_dir,
    database_from_url,
    embedded_broker_options,
    env_bool,
    env_list,
    secret_key_load,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = data_dir()

SECRET_KEY = secret_key_load(DATA_DIR)
DEBUG = env_bool("LCM_DEBUG", False)
ALLOWED_HOSTS = env_list("LCM_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("LCM_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "template_partials",
    "django_htmx",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "rest_framework",
    "drf_spectacular",
    "lifecycle.engine",
    "datacenters",
    "environments",
    "products",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "lifecycle.project.urls"
WSGI_APPLICATION = "lifecycle.project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "lifecycle.project.context_processors.version",
            ],
        },
    },
]

DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL"), DATA_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "lifecycle.engine.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "lifecycle.engine.api.pagination.Pagination",
    # Lists filter with the FilterSet their page uses too (a view's filterset_class).
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "lifecycle.engine.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Provider Lifecycle Manager API",
    "DESCRIPTION": "Register datacenter components, define environments and run lifecycle tasks.",
    "VERSION": "v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}

# Celery. The broker only says "run action 42"; the database holds all state, so no result backend.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
LCM_EMBEDDED_BROKER = CELERY_BROKER_URL.startswith(("filesystem://", "lcmfs://"))
if LCM_EMBEDDED_BROKER:
    CELERY_BROKER_URL = (
        "lcmfs://"  # the file-system transport, writing messages atomically (lifecycle/project/broker.py)
    )
    CELERY_BROKER_TRANSPORT_OPTIONS = embedded_broker_options(DATA_DIR / "broker")
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("LCM_QUEUE", "lcm")
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# Acknowledge on receipt (not acks_late): a message is only "look at action N"; the action's claim in
# the database decides whether it runs, and a worker that dies mid-action is found by the heartbeat
# sweep and reported, never silently re-run. So Redis' visibility timeout cannot start a long
# deployment twice, and an unacknowledged prefetched message at most causes a no-op claim.
CELERY_TASK_ACKS_LATE = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# The repository of product binaries: one sub-directory per product type (vcd/, rabbitmq/, …).
LCM_REPOSITORY_DIR = Path(os.environ.get("LCM_REPOSITORY_DIR") or DATA_DIR / "repository")

# Task engine timings (seconds).
LCM_HEARTBEAT_INTERVAL = float(os.environ.get("LCM_HEARTBEAT_INTERVAL", "5"))
LCM_HEARTBEAT_TIMEOUT = float(os.environ.get("LCM_HEARTBEAT_TIMEOUT", "60"))
LCM_SWEEP_INTERVAL = float(os.environ.get("LCM_SWEEP_INTERVAL", "30"))
LCM_API_TOKEN_HOURS = float(os.environ.get("LCM_API_TOKEN_HOURS", "12"))
LCM_VCENTER_TIMEOUT = float(os.environ.get("LCM_VCENTER_TIMEOUT", "30"))


def _per_type(variable: str, convert) -> dict:
    """A "TYPE.name=value,…" variable as {"TYPE.name": value}: overrides of the product types' declarations."""
    items = (item.partition("=") for item in os.environ.get(variable, "").split(",") if item.strip())
    return {key.strip(): convert(value) for key, _, value in items}


# Deployment waits per product type, overriding the type's declaration: "VCD.guest=1800,RABBITMQ.ready=600"
# (kinds: guest, ready, setup; seconds).
LCM_TIMEOUTS = _per_type("LCM_TIMEOUTS", float)
# The appliances' own ports per product type, overriding the type's declaration (their real ports):
# "VCD.cell=10443,RABBITMQ.management=25672". The tests use it to keep off the privileged ports.
LCM_APPLIANCE_PORTS = _per_type("LCM_APPLIANCE_PORTS", int)
# How often the deployment polls for a guest or an appliance endpoint (seconds).
LCM_POLL_INTERVAL = float(os.environ.get("LCM_POLL_INTERVAL", "5"))
# DNS servers for the pre-checks' forward and reverse lookups ("ip" or "ip:port", comma-separated);
# empty: the node's port group DNS servers, else this machine's resolver configuration.
LCM_DNS_NAMESERVERS = [s.strip() for s in os.environ.get("LCM_DNS_NAMESERVERS", "").split(",") if s.strip()]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LCM_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
