"""REST API of the repository of product binaries (/api/v1/repository …) and of the interop table (/api/v1/interop)."""

from datetime import UTC, datetime

from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.generics import ListAPIView
from rest_framework.response import Response

from lifecycle.engine.api.serializers import TaskAcceptedSerializer, task_accepted
from products import selectors, services
from products.filters import RepositoryFileFilterSet
from products.interop import interop_current, interop_import
from products.models import RepositoryFile


class DeploymentOptionSerializer(serializers.Serializer):
    id = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the API's name; a Field has a label too
    description = serializers.CharField()
    default = serializers.BooleanField()


class NetworkSerializer(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField()


class DiskSerializer(serializers.Serializer):
    diskId = serializers.CharField()
    fileRef = serializers.CharField()
    capacity = serializers.CharField(help_text="As written in the descriptor (may be a ${property})")
    capacityAllocationUnits = serializers.CharField()
    capacityBytes = serializers.IntegerField(allow_null=True)
    populatedSize = serializers.IntegerField(allow_null=True)
    format = serializers.CharField()


class ReferenceSerializer(serializers.Serializer):
    id = serializers.CharField()
    href = serializers.CharField()
    size = serializers.IntegerField(allow_null=True)
    compression = serializers.CharField()
    chunkSize = serializers.IntegerField(allow_null=True)


class OvfPropertySerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The full key vCenter uses: class.key.instance")
    classId = serializers.CharField()
    id = serializers.CharField()
    instance = serializers.CharField()
    type = serializers.CharField()
    qualifiers = serializers.CharField()
    defaultValue = serializers.CharField()
    userConfigurable = serializers.BooleanField()
    password = serializers.BooleanField()
    label = serializers.CharField()  # type: ignore[assignment]  # the API's name; a Field has a label too
    description = serializers.CharField()
    category = serializers.CharField()
    valuesByDeploymentOption = serializers.DictField(child=serializers.CharField())


class RepositoryFileSerializer(serializers.ModelSerializer):
    """A file of the repository as the last scan found it (the descriptor only in the detail)."""

    url = serializers.SerializerMethodField()
    productType = serializers.CharField(source="product_type")
    manifestVerified = serializers.BooleanField(source="manifest_verified")
    productName = serializers.CharField(source="product_name")
    deploymentOptions = DeploymentOptionSerializer(source="deployment_options", many=True)
    networks = NetworkSerializer(many=True)
    disks = DiskSerializer(many=True)
    references = ReferenceSerializer(many=True)
    properties = OvfPropertySerializer(many=True)
    warnings = serializers.ListField(child=serializers.CharField())
    files = serializers.ListField(child=serializers.CharField(), help_text="An OVF's files, relative to the repository")
    modifiedAt = serializers.SerializerMethodField()
    scannedAt = serializers.DateTimeField(source="scanned_at")

    class Meta:
        model = RepositoryFile
        fields = [
            "id",
            "url",
            "path",
            "productType",
            "kind",
            "size",
            "sha256",
            "status",
            "problem",
            "warnings",
            "manifestVerified",
            "productName",
            "vendor",
            "version",
            "build",
            "deploymentOptions",
            "networks",
            "disks",
            "references",
            "properties",
            "files",
            "modifiedAt",
            "scannedAt",
        ]

    def get_url(self, item) -> str:
        return reverse("api-repository-detail", args=[item.pk])

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_modifiedAt(self, item) -> str:
        """The file's modification time when it was scanned."""
        return serializers.DateTimeField().to_representation(datetime.fromtimestamp(item.mtime, tz=UTC))


class RepositoryFileDetailSerializer(RepositoryFileSerializer):
    class Meta(RepositoryFileSerializer.Meta):
        fields = RepositoryFileSerializer.Meta.fields + ["descriptor"]


class RepositoryList(ListAPIView):
    serializer_class = RepositoryFileSerializer
    filterset_class = RepositoryFileFilterSet

    def get_queryset(self):
        return selectors.repository_list()


@extend_schema(responses=RepositoryFileDetailSerializer)
@api_view(["GET"])
def repository_detail(request, fileId: int):  # noqa: N803 (the API's path parameter)
    return Response(RepositoryFileDetailSerializer(selectors.repository_get(file_id=fileId)).data)


@extend_schema(
    request=None,
    responses={202: TaskAcceptedSerializer},
    description="Read the repository directory again; unchanged files are not read again.",
)
@api_view(["POST"])
def repository_scan(request):
    task = services.repository_scan(user=request.user)
    return task_accepted(task)


# --- the interop table ---


class InteropSerializer(serializers.Serializer):
    name = serializers.CharField()
    products = serializers.DictField(
        help_text='product type → {"deploy": [versions] or "*", "upgrades": {version: [versions]}}'
    )
    importedAt = serializers.DateTimeField(required=False, read_only=True)


@extend_schema(methods=["GET"], responses=InteropSerializer)
@extend_schema(methods=["POST"], request=InteropSerializer, responses={201: InteropSerializer})
@api_view(["GET", "POST"])
def interop(request):
    """The interop table in force; POST imports a bundle that replaces it."""
    if request.method == "POST":
        bundle = interop_import(content=request.data, user=request.user)
        return Response({"name": bundle.name, "importedAt": bundle.imported_at}, status=status.HTTP_201_CREATED)
    return Response(interop_current())


urlpatterns = [
    path("repository", RepositoryList.as_view(), name="api-repository-list"),
    path("repository/scan", repository_scan, name="api-repository-scan"),
    path("repository/<int:fileId>", repository_detail, name="api-repository-detail"),
    path("interop", interop, name="api-interop"),
]
