"""Forms of the datacenter pages. They only shape input into the API's spec; the services check it.

Form fields carry the API's names (componentName, fqdn, …), so that a service error keyed by an API
path lands on the field of the same name.
"""

import re
from typing import TYPE_CHECKING

from crispy_forms.bootstrap import FormActions, StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Field, Fieldset, Hidden, Layout, Row
from django import forms
from django.utils.dateparse import parse_datetime
from django.utils.html import escape

from datacenters.models import ComponentType
from lifecycle.errors import ServiceError
from lifecycle.secrets import PLACEHOLDER

THUMBPRINT_PATH = "content.certificate.thumbprint"


def _tags(value: str) -> list[str]:
    return [tag.strip() for tag in value.split(",") if tag.strip()]


# What the registration pages call each type and its usual administrator account.
TYPE_WORDS: dict[str, tuple[str, str]] = {
    ComponentType.VCENTER: ("vCenter Server", "e.g. administrator@vsphere.local"),
    ComponentType.NSXT: ("NSX-T Manager", "e.g. admin"),
    ComponentType.VROPS: ("vRealize Operations Manager", "e.g. admin (a local user)"),
}


def _component_type(value) -> str:
    return value if value in ComponentType.values else ComponentType.VCENTER


if TYPE_CHECKING:
    _Form = forms.Form  # what the mixin is mixed into
else:
    _Form = object


class ServiceErrorsMixin(_Form):
    """Put a ServiceError's messages next to the fields they name; the rest above the form."""

    # API path → form field, where they differ.
    error_fields: dict[str, str] = {}

    def add_service_error(self, error: ServiceError) -> None:
        if not error.errors:
            self.add_error(None, error.message)
        for path, problems in error.errors.items():
            field = self.error_fields.get(path, path)
            if field not in self.fields:  # "dns[1]" → the dns field (the message names the entry)
                field = self.error_fields.get(re.sub(r"\[\d+\]$", "", path), re.sub(r"\[\d+\]$", "", path))
            for problem in problems:
                if field in self.fields and not self.fields[field].widget.is_hidden:
                    self.add_error(field, problem)
                else:
                    self.add_error(None, f"{path}: {problem}")


class CertificateProbeForm(ServiceErrorsMixin, forms.Form):
    """Registration, step 1: where the server is."""

    datacenterComponentType = forms.ChoiceField(
        label="Type",
        choices=ComponentType.choices,
        initial=ComponentType.VCENTER,
        required=False,
    )
    fqdn = forms.CharField(label="FQDN or IP address", max_length=253)
    port = forms.IntegerField(initial=443, min_value=1, max_value=65535)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Hidden("step", "probe"),
            "datacenterComponentType",
            Row(Column("fqdn", css_class="col-md-8"), Column("port", css_class="col-md-4")),
            FormActions(StrictButton("Fetch the certificate", type="submit", css_class="btn-primary")),
        )

    def clean_datacenterComponentType(self) -> str:  # noqa: N802 (the API's field name)
        return _component_type(self.cleaned_data.get("datacenterComponentType"))


class RegisterForm(ServiceErrorsMixin, forms.Form):
    """Registration, step 2: accept the probed certificate, then name and credentials.

    The certificate's details travel in hidden fields only to show them again after an error; the
    service fetches the certificate once more and compares it with the thumbprint accepted here.
    """

    datacenterComponentType = forms.ChoiceField(choices=ComponentType.choices, widget=forms.HiddenInput, required=False)
    fqdn = forms.CharField(widget=forms.HiddenInput)
    port = forms.IntegerField(widget=forms.HiddenInput)
    thumbprint = forms.CharField(widget=forms.HiddenInput)
    subject = forms.CharField(widget=forms.HiddenInput, required=False)
    issuer = forms.CharField(widget=forms.HiddenInput, required=False)
    validFrom = forms.CharField(widget=forms.HiddenInput, required=False)
    validTo = forms.CharField(widget=forms.HiddenInput, required=False)
    trust = forms.BooleanField(
        label="I trust this certificate",
        error_messages={"required": "check that the thumbprint is your server's, then tick this box"},
    )
    componentName = forms.CharField(
        label="Component name",
        max_length=128,
        help_text="How this server is known here: letters, digits, '.', '_' and '-'.",
    )
    username = forms.CharField(max_length=255)
    password = forms.CharField(widget=forms.PasswordInput(render_value=False))
    purpose = forms.CharField(max_length=255, required=False)
    tags = forms.CharField(required=False, help_text="Comma separated")

    error_fields = {THUMBPRINT_PATH: "trust", "content": "trust"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.component_type = _component_type(self["datacenterComponentType"].value())
        product, username_hint = TYPE_WORDS[self.component_type]
        self.fields["username"].help_text = username_hint
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Hidden("step", "register"),
            "datacenterComponentType",
            "fqdn",
            "port",
            "thumbprint",
            "subject",
            "issuer",
            "validFrom",
            "validTo",
            Fieldset(
                "The server's certificate",
                HTML('{% include "datacenters/_certificate.html" with certificate=form.certificate %}'),
                Field("trust"),
            ),
            Fieldset(
                f"The {product}",
                "componentName",
                Row(Column("username", css_class="col-md-6"), Column("password", css_class="col-md-6")),
                Row(Column("purpose", css_class="col-md-6"), Column("tags", css_class="col-md-6")),
            ),
            FormActions(
                StrictButton(
                    "Validate", type="submit", name="action", value="validate", css_class="btn-outline-primary"
                ),
                StrictButton("Register", type="submit", name="action", value="register", css_class="btn-primary"),
            ),
        )

    @classmethod
    def for_certificate(
        cls, *, fqdn: str, port: int, certificate, datacenterComponentType: str = ComponentType.VCENTER
    ) -> "RegisterForm":  # noqa: N803
        return cls(
            initial={
                "fqdn": fqdn,
                "port": port,
                "datacenterComponentType": datacenterComponentType,
                **certificate.to_dict(),
            }
        )

    @property
    def product(self) -> str:
        return TYPE_WORDS[self.component_type][0]

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
            "datacenterComponentType": _component_type(data.get("datacenterComponentType")),
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
        widget=forms.PasswordInput(render_value=False),
        required=False,
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
            "password": data["password"] or PLACEHOLDER,
            "purpose": data["purpose"],
            "tags": _tags(data["tags"]),
            "content": {"certificate": {"thumbprint": data["thumbprint"].strip()}},
        }


def _list(value: str) -> list[str]:
    """ "a, b c" → ["a", "b", "c"]: commas or spaces separate entries."""
    return [item for item in re.split(r"[,\s]+", value) if item]


class PortGroupSettingsForm(ServiceErrorsMixin, forms.Form):
    """The IPv4 settings of one port group. The subnet may be given as a mask or as a prefix length."""

    useDhcp = forms.BooleanField(
        label="Addresses come from DHCP", required=False, help_text="Then the static fields below are optional."
    )
    gateway = forms.CharField(max_length=15, required=False, help_text="e.g. 192.168.10.1")
    subnet = forms.CharField(
        label="Subnet mask or prefix length", max_length=15, required=False, help_text="255.255.255.0, 24 or /24"
    )
    dns = forms.CharField(label="DNS servers", required=False, help_text="Addresses, comma separated, in order")
    ntp = forms.CharField(label="NTP servers", required=False, help_text="Host names or addresses, comma separated")
    domainName = forms.CharField(label="Domain name", max_length=253, required=False)
    searchPath = forms.CharField(
        label="DNS search path", required=False, help_text="Domains, comma separated, in order"
    )

    error_fields = {"subnetMask": "subnet", "prefixLength": "subnet"}

    def __init__(self, *args, action_url: str, back_url: str, inline: bool = False, configured: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_action = action_url
        if inline:  # htmx: the answer (the row, or this form with its errors) replaces the table row
            self.helper.attrs = {"hx-post": action_url, "hx-target": "closest tr", "hx-swap": "outerHTML"}
            cancel = (
                f'<button type="button" class="btn btn-outline-secondary" hx-get="{escape(action_url)}?row=1" '
                'hx-target="closest tr" hx-swap="outerHTML">Cancel</button>'
            )
        else:
            cancel = f'<a class="btn btn-outline-secondary" href="{escape(back_url)}">Cancel</a>'
        buttons = [StrictButton("Save", type="submit", css_class="btn-primary")]
        if configured:
            buttons.append(
                StrictButton(
                    "Remove the settings", type="submit", name="action", value="remove", css_class="btn-outline-danger"
                )
            )
        self.helper.layout = Layout(
            Field("useDhcp"),
            Row(Column("gateway", css_class="col-md-6"), Column("subnet", css_class="col-md-6")),
            Row(Column("dns", css_class="col-md-6"), Column("ntp", css_class="col-md-6")),
            Row(Column("domainName", css_class="col-md-6"), Column("searchPath", css_class="col-md-6")),
            FormActions(*buttons, HTML(cancel), css_class="d-flex gap-2"),
        )

    @classmethod
    def from_entry(cls, entry: dict, **kwargs) -> "PortGroupSettingsForm":
        initial = {
            "useDhcp": entry["useDhcp"],
            "gateway": entry["gateway"] or "",
            "subnet": entry["subnetMask"] or "",
            "dns": ", ".join(entry["dns"]),
            "ntp": ", ".join(entry["ntp"]),
            "domainName": entry["domainName"] or "",
            "searchPath": ", ".join(entry["searchPath"]),
        }
        return cls(initial=initial, **kwargs)

    def settings(self) -> dict:
        """The API's shape (PUT …/networks/{portGroupName})."""
        data = self.cleaned_data
        subnet = data["subnet"].strip()
        settings = {
            "useDhcp": data["useDhcp"],
            "gateway": data["gateway"].strip() or None,
            "dns": _list(data["dns"]),
            "ntp": _list(data["ntp"]),
            "domainName": data["domainName"].strip() or None,
            "searchPath": _list(data["searchPath"]),
        }
        if subnet.lstrip("/").isdigit():
            settings["prefixLength"] = int(subnet.lstrip("/"))
        elif subnet:
            settings["subnetMask"] = subnet
        return settings
