"""Registered datacenter components and the inventory discovered in them."""

import ipaddress
import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from lifecycle.models import Timestamped
from lifecycle.secrets import EncryptedTextField

COMPONENT_NAME_RE = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def validate_fqdn(value: str) -> None:
    """A host name (RFC 1123 labels) or an IPv4/IPv6 address."""
    try:
        ipaddress.ip_address(value.strip("[]"))
        return
    except ValueError:
        pass
    labels = value.rstrip(".").split(".")
    if len(value) > 253 or not all(_HOST_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        raise ValidationError(f"'{value}' is not a valid host name or IP address", code="invalid_fqdn")


class ComponentType(models.TextChoices):
    VCENTER = "VCENTER", "vCenter Server"
    NSXT = "NSXT", "NSX-T Manager"
    VROPS = "VROPS", "vRealize Operations Manager"


# The fields of a component's spec (every kind's) that hold secrets: its credentials.
COMPONENT_SECRETS = ("password",)


def component_secrets(spec: dict) -> tuple[str, ...]:
    """The secret paths of a component's spec, or of a task's request about one (lifecycle.secrets)."""
    return COMPONENT_SECRETS


class DatacenterComponent(Timestamped):
    """A server we manage products with: its address, credentials and pinned certificate."""

    component_name = models.CharField(
        max_length=128,
        unique=True,
        validators=[
            RegexValidator(COMPONENT_NAME_RE, "use letters, digits, '.', '_' and '-', starting with a letter or digit")
        ],
    )
    component_type = models.CharField(max_length=20, choices=ComponentType.choices, default=ComponentType.VCENTER)
    fqdn = models.CharField(max_length=253, validators=[validate_fqdn])
    port = models.PositiveIntegerField(default=443, validators=[MinValueValidator(1), MaxValueValidator(65535)])
    username = models.CharField(max_length=255)
    password = EncryptedTextField()
    purpose = models.CharField(max_length=255, blank=True)
    tags = models.JSONField(default=list, blank=True)
    properties = models.JSONField(default=dict, blank=True, help_text="Discovered facts: about info of the server.")
    version = models.CharField(max_length=50, blank=True)
    build = models.CharField(max_length=50, blank=True)
    certificate_pem = models.TextField()
    certificate_thumbprint = models.CharField(max_length=95, help_text="SHA-256 of the accepted certificate.")
    certificate_subject = models.CharField(max_length=1000, blank=True)
    certificate_issuer = models.CharField(max_length=1000, blank=True)
    certificate_valid_from = models.DateTimeField(null=True, blank=True)
    certificate_valid_to = models.DateTimeField(null=True, blank=True)
    discovered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["component_name"]

    def __str__(self):
        return self.component_name


class InventoryKind(models.TextChoices):
    DATACENTER = "datacenter", "Datacenter"
    CLUSTER = "cluster", "Cluster"
    HOST = "host", "Host"
    RESOURCE_POOL = "resource_pool", "Resource pool"
    DATASTORE = "datastore", "Datastore"
    NETWORK = "network", "Network"
    DISTRIBUTED_SWITCH = "distributed_switch", "Distributed switch"
    FOLDER = "folder", "VM folder"


class InventoryObject(models.Model):
    """One object discovered in a vCenter; replaced as a whole by each discovery."""

    component = models.ForeignKey(DatacenterComponent, on_delete=models.CASCADE, related_name="inventory")
    kind = models.CharField(max_length=30, choices=InventoryKind.choices)
    moref = models.CharField(max_length=1000)
    name = models.CharField(max_length=255)
    parent_moref = models.CharField(max_length=1000, blank=True)
    datacenter = models.CharField(max_length=255, blank=True)
    path = models.CharField(max_length=2000)
    properties = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["component_id", "kind", "path"]
        constraints = [models.UniqueConstraint(fields=["component", "moref"], name="inventory_unique_moref")]
        indexes = [models.Index(fields=["component", "kind"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.path}"


def _ipv4_validate(value: str) -> None:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        raise ValidationError(
            "'%(value)s' is not an IPv4 address", code="invalid_ipv4", params={"value": value}
        ) from None


def _domain_validate(value: str) -> None:
    """A DNS domain name (not an address)."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        pass
    else:
        raise ValidationError(
            "'%(value)s' is an address, not a domain name", code="invalid_domain", params={"value": value}
        )
    try:
        validate_fqdn(value)
    except ValidationError:
        raise ValidationError(
            "'%(value)s' is not a valid domain name", code="invalid_domain", params={"value": value}
        ) from None


def _host_validate(value: str) -> None:
    """An NTP server: a host name or an IP address."""
    try:
        validate_fqdn(value)
    except ValidationError:
        raise ValidationError(
            "'%(value)s' is not a valid host name or IP address", code="invalid_host", params={"value": value}
        ) from None


class PortGroupSettings(models.Model):
    """The IPv4 settings a user gave one port group of a vCenter (what nodes placed on it are configured with).

    Kept apart from the inventory on purpose: a discovery replaces the inventory, never these; a port
    group that disappeared keeps its settings (and is shown as not found in the last discovery).
    The subnet is stored once, as a prefix length; the mask is derived from it.
    """

    component = models.ForeignKey(DatacenterComponent, on_delete=models.CASCADE, related_name="port_group_settings")
    port_group_name = models.CharField(max_length=255)
    use_dhcp = models.BooleanField(default=False)
    gateway = models.CharField(max_length=15, blank=True, validators=[_ipv4_validate])
    prefix_length = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(32)]
    )
    domain_name = models.CharField(max_length=253, blank=True, validators=[_domain_validate])
    search_path = models.JSONField(default=list, blank=True, help_text="DNS search domains, in order.")
    dns = models.JSONField(default=list, blank=True, help_text="DNS server addresses, in order.")
    ntp = models.JSONField(default=list, blank=True, help_text="NTP servers (host names or addresses), in order.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["component_id", "port_group_name"]
        verbose_name_plural = "port group settings"
        constraints = [
            models.UniqueConstraint(fields=["component", "port_group_name"], name="port_group_settings_unique_name"),
            models.CheckConstraint(
                condition=models.Q(use_dhcp=True) | (~models.Q(gateway="") & models.Q(prefix_length__isnull=False)),
                name="port_group_settings_static_complete",
            ),
            models.CheckConstraint(
                condition=models.Q(prefix_length__isnull=True) | models.Q(prefix_length__gte=1, prefix_length__lte=32),
                name="port_group_settings_prefix_range",
            ),
        ]

    def __str__(self):
        return f"{self.component} / {self.port_group_name}"

    @property
    def subnet_mask(self) -> str | None:
        return str(ipaddress.IPv4Network(f"0.0.0.0/{self.prefix_length}").netmask) if self.prefix_length else None

    @property
    def network(self) -> ipaddress.IPv4Network | None:
        """The subnet, when the gateway and prefix length are both set and valid."""
        if not self.gateway or not self.prefix_length:
            return None
        try:
            return ipaddress.IPv4Network(f"{self.gateway}/{self.prefix_length}", strict=False)
        except ValueError:
            return None

    def clean(self):
        """The rules of one port group's settings. List entries are reported with their index
        (``params["index"]``) so that the API can name ``dns[1]`` rather than just ``dns``."""
        errors: dict[str, list[ValidationError]] = {}

        def add(field: str, message: str, *, index: int | None = None, **params) -> None:
            params = {**params, **({"index": index} if index is not None else {})}
            errors.setdefault(field, []).append(ValidationError(message, params=params or None))

        if not self.use_dhcp:
            if not self.gateway:
                add("gateway", "required without DHCP")
            if not self.prefix_length:
                add("prefix_length", "required without DHCP (give the subnet mask or the prefix length)")
        network = self.network
        if network is not None and network.prefixlen <= 30:
            gateway = ipaddress.IPv4Address(self.gateway)
            if gateway == network.network_address:
                add(
                    "gateway",
                    "%(gateway)s is the network address of %(network)s, not a usable gateway",
                    gateway=str(gateway),
                    network=str(network),
                )
            elif gateway == network.broadcast_address:
                add(
                    "gateway",
                    "%(gateway)s is the broadcast address of %(network)s, not a usable gateway",
                    gateway=str(gateway),
                    network=str(network),
                )
        lists = (
            ("search_path", _domain_validate, str.lower),
            ("dns", _ipv4_validate, str),
            ("ntp", _host_validate, str.lower),
        )
        for field, validate, normal in lists:
            values = getattr(self, field)
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                add(field, "must be a list of strings")
                continue
            seen: dict[str, int] = {}
            for index, value in enumerate(values):
                try:
                    validate(value)
                except ValidationError as exc:
                    add(field, str(exc.message), index=index, **(exc.params or {}))
                    continue
                key = normal(value)
                if key in seen:
                    add(
                        field,
                        "'%(value)s' is listed twice (also at index %(first)s)",
                        index=index,
                        value=value,
                        first=seen[key],
                    )
                else:
                    seen[key] = index
        if errors:
            raise ValidationError(errors)
