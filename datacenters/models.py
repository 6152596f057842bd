"""Registered datacenter components and the inventory discovered in them."""
import ipaddress
import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from lifecycle.crypto import EncryptedTextField

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


class DatacenterComponent(models.Model):
    """A server we manage products with: its address, credentials and pinned certificate."""

    component_name = models.CharField(
        max_length=128,
        unique=True,
        validators=[RegexValidator(COMPONENT_NAME_RE, "use letters, digits, '.', '_' and '-', starting with a letter or digit")],
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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

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
