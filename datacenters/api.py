"""REST API of datacenter components: /api/v1/datacenters (with the IPv4 settings of a vCenter's port
groups under …/networks/{portGroupName}) and /api/v1/certificates/probe."""

from typing import Any

from django.urls import path, reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.generics import ListAPIView
from rest_framework.response import Response

from datacenters import selectors
from datacenters.models import ComponentType, DatacenterComponent
from datacenters.services import certificates, components, port_groups
from lifecycle.engine.api.serializers import TaskAcceptedSerializer, task_accepted
from lifecycle.errors import NotFound
from lifecycle.secrets import PLACEHOLDER, REF_PREFIX


def certificate_dict(component: DatacenterComponent) -> dict:
    return {
        "thumbprint": component.certificate_thumbprint,
        "subject": component.certificate_subject,
        "issuer": component.certificate_issuer,
        "validFrom": component.certificate_valid_from,
        "validTo": component.certificate_valid_to,
    }


def inventory_item_dict(item) -> dict:
    return {
        "name": item.name,
        "moref": item.moref,
        "path": item.path,
        "datacenter": item.datacenter or None,
        "parent": item.parent_moref or None,
        **item.properties,
    }


class ComponentSerializer(serializers.ModelSerializer):
    """A component as stored; the password is never returned."""

    url = serializers.SerializerMethodField()
    componentName = serializers.CharField(source="component_name")
    datacenterComponentType = serializers.ChoiceField(source="component_type", choices=ComponentType.choices)
    password = serializers.SerializerMethodField()
    discoveredAt = serializers.DateTimeField(source="discovered_at")
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    content = serializers.SerializerMethodField()

    class Meta:
        model = DatacenterComponent
        fields = [
            "id",
            "url",
            "componentName",
            "datacenterComponentType",
            "fqdn",
            "port",
            "username",
            "password",
            "purpose",
            "tags",
            "version",
            "build",
            "properties",
            "discoveredAt",
            "createdAt",
            "updatedAt",
            "content",
        ]

    def get_url(self, component) -> str:
        return reverse("api-datacenter-detail", args=[component.component_name])

    def get_password(self, component) -> str:
        return PLACEHOLDER

    def get_content(self, component) -> dict:
        content: dict[str, Any] = {"certificate": certificate_dict(component)}
        if component.component_type != ComponentType.VCENTER:
            return content  # NSX-T and vROps have no inventory here; version and identity are in properties.about
        if self.context.get("with_inventory"):
            inventory = selectors.inventory_by_kind(component=component)
            for key, items in inventory.items():
                content[key] = [inventory_item_dict(item) for item in items]
            content["networks"] = selectors.network_entries(component=component, networks=inventory["networks"])
        else:
            content["inventoryCount"] = getattr(component, "inventory_count", None)
        return content


class CertificateSerializer(serializers.Serializer):
    thumbprint = serializers.CharField(required=False, help_text="SHA-256 of the certificate the user accepted")


class PortGroupSettingsSerializer(serializers.Serializer):
    """The IPv4 settings of one port group (documentation for the schema; the service checks them)."""

    portGroupName = serializers.CharField(required=False, help_text="Taken from the URL when left out")
    useDhcp = serializers.BooleanField(default=False, help_text="With DHCP the static fields are optional")
    gateway = serializers.IPAddressField(protocol="IPv4", required=False, allow_null=True)
    # Declared as the CharField it is, so that NetworkEntrySerializer may redeclare it as a plain one.
    subnetMask: serializers.CharField = serializers.IPAddressField(
        protocol="IPv4", required=False, allow_null=True, help_text="e.g. 255.255.255.0; or give prefixLength"
    )
    prefixLength = serializers.IntegerField(min_value=1, max_value=32, required=False, allow_null=True)
    domainName = serializers.CharField(required=False, allow_null=True)
    searchPath = serializers.ListField(child=serializers.CharField(), required=False)
    dns = serializers.ListField(child=serializers.IPAddressField(protocol="IPv4"), required=False)
    ntp = serializers.ListField(child=serializers.CharField(), required=False, help_text="host names or addresses")


class NetworkEntrySerializer(PortGroupSettingsSerializer):
    """A port group as `content.networks` shows it: the settings merged with what discovery found."""

    subnetMask = serializers.CharField(allow_null=True)
    prefixLength = serializers.IntegerField(allow_null=True)
    configured = serializers.BooleanField(help_text="whether the user has given it IPv4 settings")
    foundInLastDiscovery = serializers.BooleanField(help_text="false: the port group has gone; its settings are kept")
    name = serializers.CharField()
    moref = serializers.CharField(allow_null=True)
    path = serializers.CharField(allow_null=True)
    datacenter = serializers.CharField(allow_null=True)
    type = serializers.CharField(allow_null=True)
    vlan = serializers.IntegerField(allow_null=True)
    switch = serializers.CharField(allow_null=True, required=False)


class ContentSerializer(serializers.Serializer):
    certificate = CertificateSerializer(required=False)
    networks = PortGroupSettingsSerializer(
        many=True, required=False, help_text="VCENTER only: IPv4 settings of port groups, stored by the task"
    )


class ComponentSpecSerializer(serializers.Serializer):
    """The request body (documentation for the schema; the service checks every field)."""

    componentName = serializers.CharField()
    datacenterComponentType = serializers.ChoiceField(choices=ComponentType.choices, default="VCENTER")
    fqdn = serializers.CharField()
    port = serializers.IntegerField(default=443)
    username = serializers.CharField()
    password = serializers.CharField(
        write_only=True,
        help_text=f"'{PLACEHOLDER}' keeps the stored password on update; '{REF_PREFIX}<ref>' takes a stored secret",
    )
    purpose = serializers.CharField(required=False)
    tags = serializers.ListField(child=serializers.CharField(), required=False)
    content = ContentSerializer()


class ProbeSerializer(serializers.Serializer):
    fqdn = serializers.CharField()
    port = serializers.IntegerField(default=443, min_value=1, max_value=65535)


class ProbeResultSerializer(serializers.Serializer):
    thumbprint = serializers.CharField()
    subject = serializers.CharField()
    issuer = serializers.CharField()
    validFrom = serializers.DateTimeField()
    validTo = serializers.DateTimeField()


def _body(request) -> dict:
    if not isinstance(request.data, dict):
        raise serializers.ValidationError({"": ["the request body must be a JSON object"]})
    return dict(request.data)


class DatacenterList(ListAPIView):
    serializer_class = ComponentSerializer

    def get_queryset(self):
        return selectors.datacenter_list()

    @extend_schema(
        request=ComponentSpecSerializer,
        responses={202: TaskAcceptedSerializer},
        parameters=[OpenApiParameter("action", enum=["REGISTER", "VALIDATE"], description="VALIDATE checks only")],
    )
    def post(self, request):
        action = request.query_params.get("action", "REGISTER").upper()
        if action not in ("REGISTER", "VALIDATE"):
            raise serializers.ValidationError({"action": ["must be REGISTER or VALIDATE"]})
        task = components.datacenter_register(
            spec=_body(request), user=request.user, validate_only=action == "VALIDATE"
        )
        return task_accepted(task)


@extend_schema(methods=["GET"], responses=ComponentSerializer)
@extend_schema(methods=["PUT"], request=ComponentSpecSerializer, responses={202: TaskAcceptedSerializer})
@extend_schema(methods=["DELETE"], responses={202: TaskAcceptedSerializer})
@api_view(["GET", "PUT", "DELETE"])
def datacenter_detail(request, componentName: str):  # noqa: N803 (the API's path parameter)
    component_name = componentName
    if request.method == "GET":
        component = selectors.datacenter_get(component_name=component_name)
        return Response(ComponentSerializer(component, context={"with_inventory": True}).data)
    if request.method == "PUT":
        task = components.datacenter_update(component_name=component_name, spec=_body(request), user=request.user)
    else:
        task = components.datacenter_delete(component_name=component_name, user=request.user)
    return task_accepted(task)


@extend_schema(request=None, responses={202: TaskAcceptedSerializer})
@api_view(["POST"])
def datacenter_discover(request, componentName: str):  # noqa: N803
    component_name = componentName
    task = components.datacenter_discover(component_name=component_name, user=request.user)
    return task_accepted(task)


@extend_schema(methods=["GET"], responses=NetworkEntrySerializer)
@extend_schema(methods=["PUT"], request=PortGroupSettingsSerializer, responses=NetworkEntrySerializer)
@extend_schema(methods=["DELETE"], responses={204: None})
@api_view(["GET", "PUT", "DELETE"])
def datacenter_network(request, componentName: str, portGroupName: str):  # noqa: N803
    """The IPv4 settings of one port group, set at once (no task: nothing on vCenter changes)."""
    component_name, port_group_name = componentName, portGroupName
    if request.method == "PUT":
        port_groups.port_group_settings_update(
            component_name=component_name, port_group_name=port_group_name, settings=_body(request)
        )
    elif request.method == "DELETE":
        port_groups.port_group_settings_remove(component_name=component_name, port_group_name=port_group_name)
        return Response(status=status.HTTP_204_NO_CONTENT)
    component = selectors.datacenter_get(component_name=component_name)
    entry = selectors.network_entry(component=component, port_group_name=port_group_name)
    if entry is None:
        raise NotFound(f"no port group '{port_group_name}' in the inventory of {component_name}")
    return Response(entry)


@extend_schema(request=ProbeSerializer, responses=ProbeResultSerializer)
@api_view(["POST"])
def certificate_probe(request):
    """The certificate a server presents, to be accepted before registering it (trust on first use)."""
    data = ProbeSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    return Response(certificates.certificate_probe(**data.validated_data).to_dict())


urlpatterns = [
    path("datacenters", DatacenterList.as_view(), name="api-datacenter-list"),
    path("datacenters/<str:componentName>", datacenter_detail, name="api-datacenter-detail"),
    path("datacenters/<str:componentName>/discover", datacenter_discover, name="api-datacenter-discover"),
    # Port group names may hold "/" (sent as %2F): the name is the rest of the path.
    path(
        "datacenters/<str:componentName>/networks/<path:portGroupName>",
        datacenter_network,
        name="api-datacenter-network",
    ),
    path("certificates/probe", certificate_probe, name="api-certificate-probe"),
]
