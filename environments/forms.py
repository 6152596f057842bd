"""Forms of the environment pages that are not the wizard's: the JSON import, and how a refused import
keeps its secrets. The wizard's step forms are in environments/wizard/forms.py. They only shape input
into an EnvironmentSpec; every rule is environment_validate's (environments/checks/).
"""

import json

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms
from django.core.exceptions import ValidationError

from lifecycle.secrets import (
    MASK,
    PLACEHOLDER,
    SecretUnreadable,
    path_set,
    secret_decrypt,
    secret_encrypt,
    secret_is_ref,
)
from products.types import product_secrets

MAX_IMPORT_BYTES = 5 * 2**20  # an environment definition is a few kilobytes


def form_helper(layout: Layout | None = None) -> FormHelper:
    """A crispy helper for a form rendered inside a page's own <form> (no tag, no CSRF field of its own)."""
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    if layout is not None:
        helper.layout = layout
    return helper


class ImportForm(forms.Form):
    """An EnvironmentSpec as a file or as pasted text, stored through environment_submit."""

    file = forms.FileField(label="JSON file", required=False)
    text = forms.CharField(
        label="… or paste the JSON",
        required=False,
        widget=forms.Textarea(attrs={"rows": 16, "class": "font-monospace", "spellcheck": "false"}),
    )
    replaceExisting = forms.BooleanField(
        label="Replace the definition of an existing environment with the same environmentId (replaceExisting)",
        required=False,
    )
    ignoreValidation = forms.BooleanField(
        label="Store even when checks other than the definition's shape fail (ignoreValidation)", required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(Layout("file", "text", "replaceExisting", "ignoreValidation"))

    def clean(self):
        data = super().clean()
        assert data is not None  # a Form's clean() returns its cleaned_data
        upload = data.get("file")
        text = data.get("text") or ""
        if upload and upload.size > MAX_IMPORT_BYTES:
            raise ValidationError(
                {"file": f"the file is larger than {MAX_IMPORT_BYTES // 2**20} MB: is it an environment definition?"}
            )
        if upload:
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise ValidationError({"file": "the file is not UTF-8 text"}) from None
        if not text.strip():
            raise ValidationError("choose a JSON file or paste the JSON")
        data["text"] = text
        try:
            data["spec"] = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError(
                {"text" if not upload else "file": f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"}
            ) from None
        return data


def spec_secrets(spec) -> list[tuple[str, object]]:
    """(JSON path in the environment, value) of every secret of an environment spec, as the service sees them."""
    found: list[tuple[str, object]] = []
    products = spec.get("products") if isinstance(spec, dict) else None
    for index, product in enumerate(products if isinstance(products, list) else []):
        found.extend((f"products[{index}].{path}", value) for path, value in product_secrets(product))
    return found


def import_secrets_hide(spec, text: str, kept: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The text of a refused import to show again, every secret in it as "********", and the secrets
    sealed by JSON path, so that the next try sends them again without a page ever showing one."""
    sealed = {}
    for path, value in spec_secrets(spec):
        if not isinstance(value, str) or not value or secret_is_ref(value) or value == PLACEHOLDER:
            continue
        if value == MASK:
            if path in kept:
                sealed[path] = kept[path]
            continue
        sealed[path] = secret_encrypt(value)
        for quoted in {json.dumps(value), json.dumps(value, ensure_ascii=False)}:
            text = text.replace(quoted, json.dumps(MASK))
    return text, sealed


def import_secrets_restore(spec, kept: dict[str, str]) -> None:
    """Put the secrets kept from the last try back where the text says "********"."""
    for path, value in spec_secrets(spec):
        if value == MASK and path in kept:
            try:
                path_set(spec, path, secret_decrypt(kept[path]))
            except SecretUnreadable:
                pass
