"""The product wizard's step forms. They only shape input into an EnvironmentSpec; every rule is
environment_validate's (environments/checks/), whose failures come back onto these fields by JSON path
(environments/wizard/failures.py).

Field names are the API's (productId, hostName, publicAddress.restApiBaseUri …). Password inputs never
show a value: a secret typed earlier is kept (sealed in the wizard's state) while its input stays blank.
"""

from collections.abc import Sequence
from typing import Any, cast
from urllib.parse import urlencode

from crispy_forms.layout import Column, Field, Fieldset, Layout, Row
from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe

from environments.forms import form_helper
from products.types import product_types
from products.types.base import BOOLEAN, INTEGER, LIST, MAP, OBJECT, ProductType, Property

# OVF deployment options of a VCD appliance (its OVA's configurations); other types take free text.
VCD_DEPLOYMENT_OPTIONS = ("primary-small", "primary-large", "standby-small", "standby-large", "cell")
KEPT_NOTE = "A value is kept: leave blank to keep it."


def required_label(text: str) -> str:
    """A label marked as required the way crispy marks its own, without making Django enforce it:
    whether a value is missing is the checker's to say."""
    return mark_safe(f'{escape(text)}<span class="asteriskField">*</span>')


def choices_with(
    current, options: list[tuple[str, str]], *, blank: str | None = None, missing: str = "not found"
) -> list[tuple[str, str]]:
    """Select options, keeping a value chosen earlier that is no longer offered (the checker reports it)."""
    choices = ([("", blank)] if blank is not None else []) + list(options)
    if current not in (None, "") and str(current) not in {str(value) for value, _ in choices}:
        choices.append((str(current), f"{current} ({missing})"))
    return choices


class StepForm(forms.Form):
    """A wizard step's form: knows its secret fields and takes the checker's failures onto its fields."""

    secret_fields: tuple[str, ...] = ()
    kept_note = True  # say under a kept secret's input that it is kept (rows say it once, above)

    def __init__(self, *args, kept: frozenset[str] | set[str] = frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        self.kept = set(kept)
        for name in self.secret_fields:
            if name in self.fields and name in self.kept:
                field = self.fields[name]
                if self.kept_note:
                    field.help_text = f"{field.help_text} {KEPT_NOTE}".strip()
                field.widget.attrs["placeholder"] = "(kept)"

    def raw(self, name: str):
        """A field's value as sent (or its initial value), read without creating its BoundField: fields
        whose choices depend on it are set up before the form is rendered."""
        if self.is_bound:
            return self.fields[name].widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
        return self.initial.get(name, self.fields[name].initial)

    def add_failures(self, failures: dict[str, list[str]]) -> None:
        """Show failures found by the checker (keys are field names; "__all__" is the step's own)."""
        self.errors  # noqa: B018 (clean first: add_error needs cleaned_data)
        for name, messages in failures.items():
            for message in messages:
                if name in self.fields:
                    self.add_error(name, message)
                else:
                    self.add_error(None, message)

    def as_data(self) -> dict:
        """What a browser would send for the values shown (initial values of an unbound form)."""
        data = {}
        for name, field in self.fields.items():
            value = self[name].value()
            if isinstance(field.widget, forms.CheckboxInput):
                if value:
                    data[self.add_prefix(name)] = "on"
            elif value not in (None, ""):
                data[self.add_prefix(name)] = value if isinstance(value, str) else str(value)
        return data


class EnvironmentForm(StepForm):
    environmentId = forms.CharField(
        label=required_label("Environment ID"),
        required=False,
        max_length=64,
        help_text="How the API, the CLI and the exported file name it: letters, digits, '.', '_' and '-'.",
    )
    environmentName = forms.CharField(label=required_label("Name"), required=False, max_length=255)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(
            Layout(Row(Column("environmentId", css_class="col-md-5"), Column("environmentName", css_class="col-md-7")))
        )


class ProductForm(StepForm):
    """Step 1: the product type, a version from the repository, and the product's own fields."""

    productType = forms.ChoiceField(label=required_label("Product type"), required=False)
    version = forms.ChoiceField(
        label=required_label("Version"), required=False, help_text="The versions found in the repository."
    )
    productId = forms.CharField(
        label=required_label("Product ID"),
        required=False,
        max_length=64,
        help_text="Unique in the environment: letters, digits, '.', '_' and '-'.",
    )
    buildNumber = forms.CharField(label="Build number", required=False, max_length=40)
    license = forms.CharField(label="License key", required=False)
    adminPassword = forms.CharField(
        label="Administrator password", required=False, strip=False, widget=forms.PasswordInput(render_value=False)
    )

    secret_fields = ("adminPassword",)

    def __init__(self, *args, versions: Sequence[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        current_type = self.raw("productType")
        cast(forms.ChoiceField, self.fields["productType"]).choices = choices_with(
            current_type,
            [(t.code, f"{t.title} ({t.code})") for t in product_types()],
            blank="— choose —",
            missing="unknown type",
        )
        cast(forms.ChoiceField, self.fields["version"]).choices = choices_with(
            self.raw("version"),
            [(v, v) for v in versions],
            blank="— choose —" if versions else "none found",
            missing="not in the repository",
        )
        self.fields["productType"].widget.attrs.update(
            {
                "hx-get": reverse("environment-options", args=["versions"]),
                "hx-target": "#id_version",
                "hx-include": "#id_productType, #id_version",
                "hx-trigger": "change",
            }
        )
        self.helper = form_helper(
            Layout(
                Row(Column("productType", css_class="col-md-7"), Column("version", css_class="col-md-5")),
                Row(
                    Column("productId", css_class="col-md-4"),
                    Column("buildNumber", css_class="col-md-4"),
                    Column("license", css_class="col-md-4"),
                ),
                Row(Column("adminPassword", css_class="col-md-6")),
            )
        )


PLACEMENT_OPTIONS = {  # field → (options kind, the field whose change reloads it, the fields it needs)
    "datacenterName": ("datacenters", "vcenterName", ("vcenterName",)),
    "clusterName": ("clusters", "datacenterName", ("vcenterName", "datacenterName")),
    "resourcePool": ("resource-pools", "clusterName", ("vcenterName", "datacenterName", "clusterName")),
    "vmFolder": ("folders", "datacenterName", ("vcenterName", "datacenterName")),
    "datastoreName": ("datastores", "datacenterName", ("vcenterName", "datacenterName")),
}


class PlacementForm(StepForm):
    """Step 2: where every node of the product goes. Each select's options come from the discovered
    inventory and are reloaded (htmx) when the choice it depends on changes."""

    vcenterName = forms.ChoiceField(label=required_label("vCenter Server"), required=False)
    datacenterName = forms.ChoiceField(label=required_label("Datacenter"), required=False)
    clusterName = forms.ChoiceField(label=required_label("Cluster"), required=False)
    resourcePool = forms.ChoiceField(label="Resource pool", required=False)
    vmFolder = forms.ChoiceField(label="VM folder", required=False)
    datastoreName = forms.ChoiceField(label=required_label("Datastore"), required=False)
    infraReference = forms.BooleanField(
        label="Record this vCenter Server as the product's infrastructure (infraReference)",
        required=False,
        initial=True,
    )

    def __init__(self, *args, options: dict[str, list[tuple[str, str]]], **kwargs):
        super().__init__(*args, **kwargs)
        optional = {"resourcePool": "(none)", "vmFolder": "(none)"}
        for name in ("vcenterName", *PLACEMENT_OPTIONS):
            cast(forms.ChoiceField, self.fields[name]).choices = choices_with(
                self.raw(name),
                options.get(name, []),
                blank=optional.get(name, "— choose —"),
                missing="not in the inventory",
            )
        for name, (kind, parent, needs) in PLACEMENT_OPTIONS.items():
            self.fields[name].widget.attrs.update(
                {
                    "hx-get": reverse("environment-options", args=[kind]),
                    "hx-trigger": f"change from:#id_{parent}",
                    "hx-target": "this",
                    "hx-include": ", ".join(f"#id_{n}" for n in (*needs, name)),
                    # Options replaced: tell the selects that depend on this one.
                    "hx-on::after-swap": "htmx.trigger(this, 'change')",
                }
            )
        self.helper = form_helper(
            Layout(
                Row(Column("vcenterName", css_class="col-md-6"), Column("datacenterName", css_class="col-md-6")),
                Row(Column("clusterName", css_class="col-md-6"), Column("resourcePool", css_class="col-md-6")),
                Row(Column("vmFolder", css_class="col-md-6"), Column("datastoreName", css_class="col-md-6")),
                Field("infraReference"),
            )
        )


class NodeForm(StepForm):
    """One node (VM) of the product, with its one nic."""

    nodeId = forms.CharField(label="Node ID", required=False, max_length=64)
    isPrimary = forms.BooleanField(label="Primary", required=False)
    deploymentOption = forms.CharField(label="Deployment option", required=False)
    hostName = forms.CharField(label=required_label("Host name (FQDN)"), required=False, max_length=253)
    vmName = forms.CharField(label=required_label("VM name"), required=False, max_length=80)
    ipAddress = forms.CharField(label="IPv4 address", required=False, max_length=45)
    networkName = forms.ChoiceField(label=required_label("Port group"), required=False)
    cpuNum = forms.IntegerField(label="vCPUs", required=False)
    ramMemory = forms.IntegerField(label="Memory (MB)", required=False)
    rootPassword = forms.CharField(
        label="Root password", required=False, strip=False, widget=forms.PasswordInput(render_value=False)
    )

    secret_fields = ("rootPassword",)
    kept_note = False

    def __init__(
        self,
        *args,
        product_type: ProductType | None = None,
        networks: Sequence[tuple[str, str]] = (),
        vcenter_name: str = "",
        refresh_url: str = "",
        deployment_options: Sequence[tuple[str, str]] = (),
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        # The options of the OVA this version deploys from (VCD's usual ones when it is not scanned yet).
        options = list(deployment_options) or (
            [(o, o) for o in VCD_DEPLOYMENT_OPTIONS] if product_type is not None and product_type.code == "VCD" else []
        )
        if options:
            self.fields["deploymentOption"] = forms.ChoiceField(
                label="Deployment option",
                required=False,
                choices=choices_with(
                    self.raw("deploymentOption"), options, blank="(the OVA's default)", missing="not in this OVA"
                ),
            )
        cast(forms.ChoiceField, self.fields["networkName"]).choices = choices_with(
            self.raw("networkName"),
            list(networks),
            blank="— choose —" if networks else "choose the placement first",
            missing="not in the datacenter",
        )
        self.fields["networkName"].widget.attrs.update(
            {
                "hx-get": reverse("environment-port-group") + "?" + urlencode({"vcenterName": vcenter_name}),
                "hx-trigger": "change",
                "hx-target": f"#{self.add_prefix('settings')}",
            }
        )
        if refresh_url:  # the role hint follows isPrimary and the deployment option
            for name in ("isPrimary", "deploymentOption"):
                self.fields[name].widget.attrs.update(
                    {
                        "hx-post": refresh_url,
                        "hx-trigger": "change",
                        "hx-target": "#nodes",
                        "hx-swap": "outerHTML",
                        "hx-vals": '{"row": "refresh"}',
                    }
                )


class NodeFormSet(forms.BaseFormSet):
    """The nodes, each with the secrets kept for its row."""

    def __init__(self, *args, kept_rows: Sequence[set[str]] = (), **kwargs):
        self.kept_rows = list(kept_rows)
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        if index is not None and index < len(self.kept_rows):
            kwargs["kept"] = self.kept_rows[index]
        return kwargs


NodeFormSetClass = cast(type[NodeFormSet], forms.formset_factory(NodeForm, formset=NodeFormSet, extra=0))
NODES_PREFIX = "nodes"


class IntegrationForm(StepForm):
    """One thing the product may be connected to: another product of the environment or a component."""

    use = forms.BooleanField(required=False)
    integrationId = forms.CharField(label="Integration ID", required=False, max_length=64)
    integrationUsername = forms.CharField(label="Username", required=False, max_length=255)
    integrationPassword = forms.CharField(
        label="Password", required=False, strip=False, widget=forms.PasswordInput(render_value=False)
    )

    secret_fields = ("integrationPassword",)

    def __init__(self, *args, ref: str, title: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.ref = ref
        self.fields["use"].label = f"Connect to {ref}"
        self.fields["use"].help_text = title
        self.fields["integrationId"].initial = ref


# -- product properties, generated from the type's declaration --


class KeyValueField(forms.CharField):
    """A MAP property as a textarea of key=value lines."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 4, "class": "font-monospace", "spellcheck": "false"}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, dict):
            return "\n".join(f"{key}={item}" for key, item in value.items())
        return value

    def to_python(self, value) -> dict:  # type: ignore[override]  # a CharField's text, parsed
        text = super().to_python(value) or ""
        result = {}
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            key, sep, item = line.partition("=")
            if not sep or not key.strip():
                raise ValidationError(f"line {number}: write key=value")
            result[key.strip()] = item.strip()
        return result


class LinesField(forms.CharField):
    """A LIST property as a textarea, one item a line."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return "\n".join(map(str, value)) if isinstance(value, list) else value

    def to_python(self, value) -> list:  # type: ignore[override]  # a CharField's text, parsed
        return [line.strip() for line in (super().to_python(value) or "").splitlines() if line.strip()]


def _help(prop: Property) -> str:
    parts = [prop.help or prop.pattern_help]
    if prop.default not in (None, "", {}, []) and prop.type != BOOLEAN and not prop.choices:
        parts.append(f"Default: {prop.default}.")
    return " ".join(p for p in parts if p)


def property_field(prop: Property, name: str) -> forms.Field:
    label = required_label(name) if prop.required and prop.default is None else name
    common: dict[str, Any] = {"label": label, "required": False, "help_text": _help(prop)}
    if prop.choices:
        blank = f"(default: {prop.default})" if prop.default is not None else "—"
        return forms.TypedChoiceField(
            choices=[("", blank), *((str(c), str(c)) for c in prop.choices)],
            coerce=int if prop.type == INTEGER else str,
            empty_value=None,
            **common,
        )
    if prop.type == INTEGER:
        return forms.IntegerField(min_value=prop.minimum, max_value=prop.maximum, initial=prop.default, **common)
    if prop.type == BOOLEAN:
        return forms.BooleanField(initial=bool(prop.default), **common)
    if prop.type == MAP:
        return KeyValueField(
            initial=prop.default or None,
            **{**common, "help_text": f"{common['help_text']} One key=value a line.".strip()},
        )
    if prop.type == LIST:
        return LinesField(initial=prop.default or None, **common)
    if prop.secret:
        return forms.CharField(strip=False, widget=forms.PasswordInput(render_value=False), **common)
    return forms.CharField(initial=prop.default, **common)


class PropertiesForm(StepForm):
    """Base of the forms built by properties_form_class()."""

    product_type: ProductType
    declared: dict[str, Property] = {}  # field name (dotted for OBJECT children) → its declaration

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(self.layout())

    @classmethod
    def layout(cls) -> Layout:
        scalars, wide, groups = [], [], []
        for prop in cls.product_type.properties:
            if prop.type == OBJECT:
                names = [f"{prop.name}.{child.name}" for child in prop.children if child.type != OBJECT]
                groups.append(
                    Fieldset(
                        f"{prop.name}" + (f" — {prop.help}" if prop.help else ""),
                        Row(*(Column(n, css_class="col-md-6") for n in names)),
                    )
                )
            elif prop.type in (MAP, LIST):
                wide.append(prop.name)
            else:
                scalars.append(prop.name)
        return Layout(Row(*(Column(n, css_class="col-md-6") for n in scalars)), *wide, *groups)


def properties_form_class(product_type: ProductType) -> type[PropertiesForm]:
    """A form class for a product type's declared properties: one field per property, OBJECT children
    flattened into dotted names (publicAddress.restApiBaseUri), MAP as key=value lines."""
    fields: dict[str, forms.Field] = {}
    declared: dict[str, Property] = {}

    def add(prop: Property, prefix: str) -> None:
        name = prefix + prop.name
        if prop.type == OBJECT:
            for child in prop.children:
                add(child, name + ".")
            return
        fields[name] = property_field(prop, prop.name if prefix else name)
        declared[name] = prop

    for prop in product_type.properties:
        add(prop, "")
    attrs = {
        **fields,
        "product_type": product_type,
        "declared": declared,
        "secret_fields": tuple(name for name, prop in declared.items() if prop.secret),
    }
    return type(f"{product_type.code.title().replace('_', '')}PropertiesForm", (PropertiesForm,), attrs)
