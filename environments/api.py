"""REST API of environments: /api/v1/environments …"""

from django.urls import path, reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.generics import ListAPIView
from rest_framework.response import Response

from environments import selectors, services
from environments.models import Environment, Product
from lifecycle.engine.api.serializers import TaskAcceptedSerializer, task_accepted
from lifecycle.engine.models import Task


def _flag(request, name: str) -> bool:
    value = request.query_params.get(name, "false").lower()
    if value not in ("true", "false", "1", "0", "yes", "no"):
        raise serializers.ValidationError({name: ["must be true or false"]})
    return value in ("true", "1", "yes")


def node_dict(node) -> dict:
    return {
        "nodeId": node.node_id,
        "role": node.role,
        "isPrimary": node.is_primary,
        "hostName": node.host_name,
        "vmName": node.vm_name,
        "nodeState": node.deploy_state,
        "vcenterName": node.vcenter_name or None,
        "vmMoref": node.vm_moref or None,
        "instanceUuid": node.instance_uuid or None,
        "ipAddress": node.ip_address or None,
        "powerState": node.power_state or None,
    }


def product_dict(product: Product) -> dict:
    return {
        **product.spec,
        "productState": product.state,
        "url": reverse("api-environment-product", args=[product.environment.environment_id, product.product_id]),
        "deployedNodes": [node_dict(n) for n in product.nodes.all()],
    }


class EnvironmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    environmentId = serializers.CharField(source="environment_id")
    environmentName = serializers.CharField(source="environment_name")
    environmentState = serializers.CharField(source="state")
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    products = serializers.SerializerMethodField()

    class Meta:
        model = Environment
        fields = [
            "id",
            "url",
            "environmentId",
            "environmentName",
            "environmentState",
            "properties",
            "createdAt",
            "updatedAt",
            "products",
        ]

    def get_url(self, environment) -> str:
        return reverse("api-environment-detail", args=[environment.environment_id])

    def get_products(self, environment) -> list[dict]:
        if self.context.get("full"):
            return [product_dict(p) for p in environment.products.all()]
        return [
            {
                "productId": p.product_id,
                "productType": p.product_type,
                "version": p.version,
                "productState": p.state,
                "nodeCount": len(p.nodes.all()),
            }
            for p in environment.products.all()
        ]


class ValidationReportSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    checks = serializers.ListField(child=serializers.DictField())


class EnvironmentList(ListAPIView):
    serializer_class = EnvironmentSerializer

    def get_queryset(self):
        return selectors.environment_list()

    @extend_schema(
        request=dict,
        responses={200: ValidationReportSerializer, 201: EnvironmentSerializer},
        parameters=[
            OpenApiParameter(
                "action",
                enum=list(services.ACTIONS),
                description="CREATE (default) stores the definition, VALIDATE only reports, DEPLOY "
                "stores it and starts a deployment task (202)",
            ),
            OpenApiParameter(
                "prechecks",
                bool,
                description="VALIDATE: also run the deployment pre-checks against "
                "vCenter, DNS and the network (default true)",
            ),
            OpenApiParameter(
                "ignoreValidation", bool, description="store even when checks other than the definition's shape fail"
            ),
            OpenApiParameter(
                "replaceExisting", bool, description="replace the definition of an existing environmentId"
            ),
        ],
    )
    def post(self, request):
        action = request.query_params.get("action", "CREATE")
        prechecks = request.query_params.get("prechecks", "true").lower() not in ("false", "0", "no")
        environment, report = services.environment_submit(
            spec=request.data,
            action=action,
            replace_existing=_flag(request, "replaceExisting"),
            ignore_validation=_flag(request, "ignoreValidation"),
            prechecks=prechecks,
            user=request.user,
        )
        if environment is None:
            return Response(report)
        task_id = report.pop("taskId", None)
        environment = selectors.environment_get(environment_id=environment.environment_id)
        data = EnvironmentSerializer(environment, context={"full": True}).data
        if task_id is not None:
            task = Task.objects.get(pk=task_id)
            return task_accepted(task, environment=data, validation=report)
        return Response({**data, "validation": report}, status=status.HTTP_201_CREATED)


@extend_schema(methods=["GET"], responses=EnvironmentSerializer)
@extend_schema(methods=["DELETE"], responses={202: TaskAcceptedSerializer})
@api_view(["GET", "DELETE"])
def environment_detail(request, environmentId: str):  # noqa: N803 (the API's path parameter)
    if request.method == "DELETE":
        task = services.environment_delete(environment_id=environmentId, user=request.user)
        return task_accepted(task)
    environment = selectors.environment_get(environment_id=environmentId)
    return Response(EnvironmentSerializer(environment, context={"full": True}).data)


@extend_schema(responses=dict)
@api_view(["GET"])
def environment_export(request, environmentId: str):  # noqa: N803
    """The definition as a file to import again (POST it back; secrets are stored references)."""
    return Response(services.environment_export(environment_id=environmentId))


@extend_schema(request=dict, responses={202: TaskAcceptedSerializer})
@api_view(["POST"])
def environment_deploy(request, environmentId: str):  # noqa: N803
    """Deploy the stored environment's products that are not deployed yet; {"productIds": [...]} to choose."""
    body = request.data if isinstance(request.data, dict) else {}
    product_ids = body.get("productIds")
    if product_ids is not None and (
        not isinstance(product_ids, list) or not all(isinstance(i, str) for i in product_ids)
    ):
        raise serializers.ValidationError({"productIds": ["must be a list of product ids"]})
    task = services.environment_deploy(environment_id=environmentId, product_ids=product_ids, user=request.user)
    return task_accepted(task)


@extend_schema(methods=["GET"], responses=dict)
@extend_schema(methods=["DELETE"], responses={202: TaskAcceptedSerializer})
@api_view(["GET", "DELETE"])
def environment_product(request, environmentId: str, productId: str):  # noqa: N803
    if request.method == "DELETE":
        task = services.product_delete(environment_id=environmentId, product_id=productId, user=request.user)
        return task_accepted(task)
    return Response(product_dict(selectors.product_get(environment_id=environmentId, product_id=productId)))


urlpatterns = [
    path("environments", EnvironmentList.as_view(), name="api-environment-list"),
    path("environments/<str:environmentId>", environment_detail, name="api-environment-detail"),
    path("environments/<str:environmentId>/export", environment_export, name="api-environment-export"),
    path("environments/<str:environmentId>/deploy", environment_deploy, name="api-environment-deploy"),
    path(
        "environments/<str:environmentId>/products/<str:productId>", environment_product, name="api-environment-product"
    ),
]
