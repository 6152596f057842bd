"""Forms of the datacenter pages. They only shape input into the API's spec; the services check it.

Form fields carry the API's names (componentName, fqdn, …), so that a service error keyed by an API
path lands on the field of the same name.
"""
from crispy_forms.bootstrap import FormActions, StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Field, Fieldset, Hidden, Layout, Row
from django import forms
from django.utils.dateparse import parse_datetime

from datacenters.models import ComponentType
from lifecycle.crypto import SECRET_PLACEHOLDER
from lifecycle.errors import ServiceError

THUMBPRINT_PATH = "content.certificate.thumbprint"


def _tags(value: str) -> list[str]:
    return [tag.strip() for tag in value.split(",") if tag.strip()]


class ServiceErrorsMixin:
    """Put a ServiceError's messages next to the fields they name; the rest above the form."""

    # API path → form field, where they differ.
    error_fields: dict[str, str] = {}

    def add_service_error(self, error: ServiceError) -> None:
        if not error.errors:
            self.add_error(None, error.message)
        for path, problems in error.errors.items():
            field = self.error_fields.get(path, path)
            for problem in problems:
                if field in self.fields and not self.fields[field].widget.is_hidden:
                    self.add_error(field, problem)
                else:
                    self.add_error(None, f"{path}: {problem}")


class CertificateProbeForm(ServiceErrorsMixin, forms.Form):
    """Registration, step 1: where the server is."""

    fqdn = forms.CharField(label="FQDN or IP address", max_length=253)
    port = forms.IntegerField(initial=443, min_value=1, max_value=65535)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Hidden("step", "probe"),
            Row(Column("fqdn", css_class="col-md-8"), Column("port", css_class="col-md-4")),
            FormActions(StrictButton("Fetch the certificate", type="submit", css_class="btn-primary")),
        )


class RegisterForm(ServiceErrorsMixin, forms.Form):
    """Registration, step 2: accept the probed certificate, then name and credentials.

    The certificate's details travel in hidden fields only to show them again after an error; the
    service fetches the certificate once more and compares it with the thumbprint accepted here.
    """

    fqdn = forms.CharField(widget=forms.HiddenInput)
    port = forms.IntegerField(widget=forms.HiddenInput)
    thumbprint = forms.CharField(widget=forms.HiddenInput)
    subject = forms.CharField(widget=forms.HiddenInput, required=False)
    issuer = forms.CharField(widget=forms.HiddenInput, required=False)
    validFrom = forms.CharField(widget=forms.HiddenInput, required=False)
    validTo = forms.CharField(widget=forms.HiddenInput, required=False)
    trust = forms.BooleanField(
        label="I trust this certificate",
        error_messages={"required": "check that the thumbprint is your vCenter's, then tick this box"},
    )
    componentName = forms.CharField(
        label="Component name", max_length=128,
        help_text="How this vCenter Server is known here: letters, digits, '.', '_' and '-'.",
    )
    username = forms.CharField(max_length=255, help_text="e.g. administrator@vsphere.local")
    password = forms.CharField(widget=forms.PasswordInput(render_value=False))
    purpose = forms.CharField(max_length=255, required=False)
    tags = forms.CharField(required=False, help_text="Comma separated")

    error_fields = {THUMBPRINT_PATH: "trust", "content": "trust"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Hidden("step", "register"),
            "fqdn", "port", "thumbprint", "subject", "issuer", "validFrom", "validTo",
            Fieldset(
                "The server's certificate",
                HTML('{% include "datacenters/_certificate.html" with certificate=form.certificate %}'),
                Field("trust"),
            ),
            Fieldset(
                "The vCenter Server",
                "componentName",
                Row(Column("username", css_class="col-md-6"), Column("password", css_class="col-md-6")),
                Row(Column("purpose", css_class="col-md-6"), Column("tags", css_class="col-md-6")),
            ),
            FormActions(
                StrictButton("Validate", type="submit", name="action", value="validate", css_class="btn-outline-primary"),
                StrictButton("Register", type="submit", name="action", value="register", css_class="btn-primary"),
            ),
        )

    @classmethod
    def for_certificate(cls, *, fqdn: str, port: int, certificate) -> "RegisterForm":
        return cls(initial={"fqdn": fqdn, "port": port, **certificate.to_dict()})

    def certificate(self) -> dict:
        """The probed certificate as shown to the user (from the hidden fields)."""
        return {
            "thumbprint": self["thumbprint"].value(),
            "subject": self["subject"].value(),
            "issuer": self["issuer"].value(),
            "valid_from": parse_datetime(self["validFrom"].value() or ""),
            "valid_to": parse_datetime(self["validTo"].value() or ""),
        }

    def spec(self) -> dict:
        data = self.cleaned_data
        return {
            "componentName": data["componentName"],
            "datacenterComponentType": ComponentType.VCENTER,
            "fqdn": data["fqdn"],
            "port": data["port"],
            "username": data["username"],
            "password": data["password"],
            "purpose": data["purpose"],
            "tags": _tags(data["tags"]),
            "content": {"certificate": {"thumbprint": data["thumbprint"]}},
        }


class UpdateForm(ServiceErrorsMixin, forms.Form):
    """A registered component's address, credentials and accepted certificate."""

    fqdn = forms.CharField(label="FQDN or IP address", max_length=253)
    port = forms.IntegerField(min_value=1, max_value=65535)
    username = forms.CharField(max_length=255)
    password = forms.CharField(
        widget=forms.PasswordInput(render_value=False), required=False,
        help_text="Leave blank to keep the stored password.",
    )
    purpose = forms.CharField(max_length=255, required=False)
    tags = forms.CharField(required=False, help_text="Comma separated")
    thumbprint = forms.CharField(
        label="Accepted certificate (SHA-256 thumbprint)",
        help_text="The server must present this certificate. Change it together with the address; "
        "for a renewed certificate use “Check certificate”.",
    )

    error_fields = {THUMBPRINT_PATH: "thumbprint", "content": "thumbprint"}

    def __init__(self, *args, component_name: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.component_name = component_name
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Row(Column("fqdn", css_class="col-md-8"), Column("port", css_class="col-md-4")),
            Row(Column("username", css_class="col-md-6"), Column("password", css_class="col-md-6")),
            Row(Column("purpose", css_class="col-md-6"), Column("tags", css_class="col-md-6")),
            Field("thumbprint", css_class="font-monospace"),
            FormActions(StrictButton("Update", type="submit", css_class="btn-primary")),
        )

    @classmethod
    def from_spec(cls, spec: dict) -> "UpdateForm":
        initial = {key: spec[key] for key in ("fqdn", "port", "username", "purpose")}
        initial["tags"] = ", ".join(spec["tags"])
        initial["thumbprint"] = spec["content"]["certificate"]["thumbprint"]
        return cls(initial=initial, component_name=spec["componentName"])

    def spec(self) -> dict:
        data = self.cleaned_data
        return {
            "componentName": self.component_name,
            "fqdn": data["fqdn"],
            "port": data["port"],
            "username": data["username"],
            "password": data["password"] or SECRET_PLACEHOLDER,
            "purpose": data["purpose"],
            "tags": _tags(data["tags"]),
            "content": {"certificate": {"thumbprint": data["thumbprint"].strip()}},
        }
