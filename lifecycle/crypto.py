"""Secrets at rest: Fernet encryption with the keys from LCM_ENCRYPTION_KEY (or the data directory)."""
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

from lifecycle.errors import ApplicationError
from lifecycle.project.config import encryption_keys_load

# What the API and the pages show instead of a stored secret; sending it back keeps the stored value.
SECRET_PLACEHOLDER = "$encrypted$"


class SecretUnreadable(ApplicationError):
    """A stored secret cannot be decrypted with the configured keys."""


@cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in encryption_keys_load(settings.DATA_DIR)])


def secret_encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def secret_decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable(
            "a stored secret cannot be decrypted with the configured LCM_ENCRYPTION_KEY"
        ) from exc


class EncryptedTextField(models.TextField):
    """A text column holding ciphertext; Python code sees the plain value. Empty stays empty."""

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return secret_decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return secret_encrypt(value)
