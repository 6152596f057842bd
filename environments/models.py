"""Environments, their products and nodes, as the provider defined them (and, later, as deployed)."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from lifecycle.choices import ColoredChoices
from lifecycle.models import Timestamped

ENVIRONMENT_ID_RE = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


class EnvironmentState(ColoredChoices):
    """The state of an environment or a product; its transitions are written in environments.deploy.states."""

    DEFINED = "DEFINED", "secondary", "Defined"
    DEPLOYING = "DEPLOYING", "primary", "Deploying"
    DEPLOYED = "DEPLOYED", "success", "Deployed"
    FAILED = "FAILED", "danger", "Failed"
    DELETING = "DELETING", "warning", "Deleting"


class Environment(Timestamped):
    environment_id = models.CharField(
        max_length=64,
        unique=True,
        validators=[
            RegexValidator(ENVIRONMENT_ID_RE, "use letters, digits, '.', '_' and '-', starting with a letter or digit")
        ],
    )
    environment_name = models.CharField(max_length=255)
    state = models.CharField(max_length=20, choices=EnvironmentState.choices, default=EnvironmentState.DEFINED)
    properties = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["environment_id"]

    def __str__(self):
        return self.environment_id

    state_color = EnvironmentState.color_property("state")


class Product(models.Model):
    """One product of an environment. ``spec`` is its definition as given (secrets as stored references)."""

    environment = models.ForeignKey(Environment, on_delete=models.CASCADE, related_name="products")
    product_id = models.CharField(max_length=64)
    product_type = models.CharField(max_length=50, db_index=True)
    version = models.CharField(max_length=100)
    state = models.CharField(max_length=20, choices=EnvironmentState.choices, default=EnvironmentState.DEFINED)
    position = models.PositiveIntegerField(default=0, help_text="Order of the product in the definition.")
    spec = models.JSONField()

    class Meta:
        ordering = ["environment_id", "position"]
        constraints = [models.UniqueConstraint(fields=["environment", "product_id"], name="product_unique_id")]

    def __str__(self):
        return f"{self.environment_id}/{self.product_id}"

    state_color = EnvironmentState.color_property("state")


class NodeState(models.TextChoices):
    """How far a deployment got with a node; a restart continues from here."""

    DEFINED = "DEFINED", "Defined"
    IMPORTING = "IMPORTING", "Importing"  # the VM exists but its upload may not be complete
    IMPORTED = "IMPORTED", "Imported"
    STARTED = "STARTED", "Guest up"
    READY = "READY", "Appliance ready"
    SET_UP = "SET_UP", "Set up"
    DELETED = "DELETED", "VM deleted"


class Node(models.Model):
    """A node (VM) of a product: its names from the definition, and what a deployment recorded.

    The VM is ours only by its recorded instance UUID (in the vCenter `vcenter_name`); its name is
    never enough to touch it.
    """

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="nodes")
    node_id = models.CharField(max_length=64)
    role = models.CharField(max_length=30)
    is_primary = models.BooleanField(default=False)
    host_name = models.CharField(max_length=253)
    vm_name = models.CharField(max_length=80)
    position = models.PositiveIntegerField(default=0)
    vm_moref = models.CharField(max_length=100, blank=True)
    instance_uuid = models.CharField(max_length=64, blank=True)
    ip_address = models.CharField(max_length=45, blank=True)
    power_state = models.CharField(max_length=20, blank=True)
    vcenter_name = models.CharField(max_length=128, blank=True, help_text="The vCenter that holds the VM.")
    deploy_state = models.CharField(max_length=20, choices=NodeState.choices, default=NodeState.DEFINED)
    certificates = models.JSONField(
        default=dict, blank=True, help_text="Port → the appliance's certificate (PEM), trusted on first use."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["product_id", "position"]
        constraints = [models.UniqueConstraint(fields=["product", "node_id"], name="node_unique_id")]

    def __str__(self):
        return f"{self.product}/{self.node_id}"


class ComponentReference(models.Model):
    """A datacenter component a product uses (placement, integrations): such a component cannot be deleted."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="component_references")
    component_name = models.CharField(max_length=128, db_index=True)
    usage = models.CharField(
        max_length=255, help_text="The JSON path that names it, e.g. nodes[0].deployment.vcenterName."
    )

    class Meta:
        ordering = ["component_name"]

    def __str__(self):
        return f"{self.product} uses {self.component_name} ({self.usage})"
