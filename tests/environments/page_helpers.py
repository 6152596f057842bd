"""What the environment page tests (test_pages, test_wizard) share: the secrets no page may show, a field's
error as the page shows it, storing a sample, and a stored definition with its secrets revealed."""

import copy
import html as html_lib
import re

from environments import services
from environments.models import Environment
from lifecycle.secrets import secret_is_ref, secret_resolve

# Every secret the samples carry: none may ever appear in a page.
SECRETS = (
    "Admin-Passw0rd!",
    "Db-Passw0rd!",
    "Root-Passw0rd!",
    "Vc-Passw0rd!",
    "Amqp-Passw0rd!",
    "ErlangCookie0123456789abc",
    "Meter-Passw0rd!",
    "Vrops-Passw0rd!",
    "Tiny-Passw0rd!",
)


def _field_error(html: str, field: str) -> str:
    """The error text Bootstrap shows under a field (crispy renders it with the field's id)."""
    found = re.findall(rf'id="error_\d+_id_{re.escape(field)}"[^>]*>\s*<strong>(.*?)</strong>', html, re.S)
    return " | ".join(html_lib.unescape(text) for text in found)


def _store(spec: dict) -> Environment:
    environment, report = services.environment_submit(spec=copy.deepcopy(spec), action="CREATE")
    assert report["valid"], report
    return environment


def _revealed(value):
    """A definition with every stored secret reference replaced by the secret it refers to."""
    if isinstance(value, dict):
        return {key: _revealed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_revealed(item) for item in value]
    return secret_resolve(value) if secret_is_ref(value) else value
