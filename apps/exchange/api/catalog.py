"""The resource catalogue (数据资源目录), subscriptions (订阅), partners (交换节点) and the exchange code
lists (代码表) over HTTP.

- ``GET /exchange/catalog`` (``?target=national``, ``?direction=received|sent``) and
  ``GET /exchange/catalog/<dataset>``: any signed-in person or exchange client;
- ``/exchange/subscriptions`` and ``/exchange/subscriptions/<id>``: people holding the role's
  subscription permissions (DX-03: a new exchanged type is a new row, no code change);
- ``GET /exchange/partners``: the partners, never their tokens;
- ``GET /codes/special-work-types`` and ``GET /codes/video-alarm-types?source=``.
"""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.authentication import TokenAuthentication
from apps.core.api.pagination import StandardPagination
from apps.core.api.permissions import ACTION_BY_METHOD

from .. import catalog, specs, subscriptions
from ..authentication import ExchangeClientAuthentication
from ..models import ExchangeClient, OutboxEntry, Partner, Subscription

CLIENT_OR_PERSON = [ExchangeClientAuthentication, TokenAuthentication, SessionAuthentication]
PEOPLE = [TokenAuthentication, SessionAuthentication]
TRUE = {"1", "true", "yes", "on"}


class SignedInOrExchangeClient(BasePermission):
    """Anyone signed in, person or exchange client: the catalogue and code lists are reference."""

    def has_permission(self, request, view):
        if isinstance(request.auth, ExchangeClient):
            return True
        return bool(request.user and request.user.is_authenticated)


class ModelPermission(BasePermission):
    """The role's ``exchange.<action>_<model>`` permission for the request's method."""

    message = _("Your role does not permit this action")

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        action = ACTION_BY_METHOD.get(request.method, "view")
        return user.has_perm(f"exchange.{action}_{view.permission_model}")


def _client(request) -> ExchangeClient | None:
    return request.auth if isinstance(request.auth, ExchangeClient) else None


# --- catalogue ------------------------------------------------------------------------------------------


class CatalogView(APIView):
    authentication_classes = CLIENT_OR_PERSON
    permission_classes = [SignedInOrExchangeClient]

    @extend_schema(
        tags=["exchange"],
        summary="The resource catalogue: every exchange dataset, or the national resource types (DX-02, DX-09)",
        operation_id="exchange_catalog_list",
        parameters=[
            OpenApiParameter("target", str, enum=list(catalog.TARGETS), description="national: the 19 resource types"),
            OpenApiParameter("direction", str, enum=list(catalog.DIRECTIONS)),
        ],
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        return Response(
            catalog.catalogue(
                request.user,
                target=request.query_params.get("target"),
                direction=request.query_params.get("direction"),
                client=_client(request),
            )
        )


class CatalogDatasetView(APIView):
    authentication_classes = CLIENT_OR_PERSON
    permission_classes = [SignedInOrExchangeClient]

    @extend_schema(
        tags=["exchange"],
        summary="One exchange dataset with its fields and code tables",
        operation_id="exchange_catalog_dataset",
        responses={200: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT},
    )
    def get(self, request, dataset):
        spec = specs.get(dataset)
        if spec is None:
            raise exceptions.NotFound(_("Unknown dataset %(name)s.") % {"name": dataset})
        volume = catalog.volumes(request.user, _client(request)).get(spec.dataset) or {}
        return Response(
            {
                **catalog.spec_json(spec, code_tables=True),
                "last_received_at": volume.get("last_received_at"),
                "last_sent_at": volume.get("last_sent_at"),
            }
        )


# --- subscriptions --------------------------------------------------------------------------------------


class SubscriptionPartnerSerializer(serializers.ModelSerializer):
    # plain text: the partner kinds' enum would collide with other "kind" enums in the schema
    kind = serializers.CharField(read_only=True)

    class Meta:
        model = Partner
        fields = ["id", "name", "kind"]


class SubscriptionSerializer(serializers.ModelSerializer):
    partner = SubscriptionPartnerSerializer(read_only=True)
    schedule_label = serializers.CharField(source="get_schedule_display", read_only=True)
    resource_types = serializers.SerializerMethodField()
    pending = serializers.SerializerMethodField()

    class Meta:
        model = Subscription
        fields = [
            "id",
            "partner",
            "dataset",
            "resource_types",
            "schedule",
            "schedule_label",
            "enabled",
            "watermark",
            "last_built_at",
            "last_attempt_at",
            "last_success_at",
            "last_error",
            "consecutive_failures",
            "next_attempt_at",
            "pending",
            "created_at",
            "updated_at",
        ]

    def get_resource_types(self, obj) -> list[str]:
        return [r["code"] for r in catalog.resource_types() if r["dataset"] == obj.dataset]

    def get_pending(self, obj) -> int:
        pending = getattr(obj, "pending_entries", None)
        return pending if pending is not None else obj.entries.filter(status=OutboxEntry.Status.PENDING).count()


class SubscribeSerializer(serializers.Serializer):
    partner = serializers.PrimaryKeyRelatedField(queryset=Partner.objects.all())
    dataset = serializers.CharField(required=False, allow_blank=True)
    resourceType = serializers.CharField(required=False, allow_blank=True)  # noqa: N815 (the contract's name)
    schedule = serializers.ChoiceField(choices=Subscription.Schedule.choices, required=False)
    enabled = serializers.BooleanField(required=False, default=True)


class ChangeSubscriptionSerializer(serializers.Serializer):
    schedule = serializers.ChoiceField(choices=Subscription.Schedule.choices, required=False)
    enabled = serializers.BooleanField(required=False)


def _subscriptions():
    return Subscription.objects.select_related("partner").annotate(
        pending_entries=Count("entries", filter=Q(entries__status=OutboxEntry.Status.PENDING))
    )


class SubscriptionListView(APIView):
    authentication_classes = PEOPLE
    permission_classes = [ModelPermission]
    permission_model = "subscription"

    @extend_schema(
        tags=["exchange"],
        summary="Subscriptions: which dataset is sent to which partner on which schedule",
        parameters=[OpenApiParameter("partner", int), OpenApiParameter("dataset", str)],
        responses={200: SubscriptionSerializer(many=True)},
    )
    def get(self, request):
        queryset = _subscriptions().order_by("partner__name", "dataset")
        partner = request.query_params.get("partner", "").strip()
        if partner:
            if not partner.isdigit():
                raise exceptions.ValidationError({"partner": [_("Give the partner's id.")]})
            queryset = queryset.filter(partner_id=int(partner))
        dataset = request.query_params.get("dataset", "").strip()
        if dataset:
            queryset = queryset.filter(dataset=dataset)
        paginator = StandardPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(SubscriptionSerializer(page, many=True).data)

    @extend_schema(
        tags=["exchange"],
        summary="Subscribe a partner to a dataset or a resource type (DX-03)",
        request=SubscribeSerializer,
        responses={201: SubscriptionSerializer, 400: OpenApiTypes.OBJECT},
    )
    def post(self, request):
        body = SubscribeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        created = subscriptions.subscribe(
            data["partner"],
            dataset=data.get("dataset"),
            resource_type=data.get("resourceType"),
            schedule=data.get("schedule"),
            enabled=data.get("enabled", True),
        )
        return Response(
            SubscriptionSerializer(_subscriptions().get(pk=created.pk)).data, status=status.HTTP_201_CREATED
        )


class SubscriptionDetailView(APIView):
    authentication_classes = PEOPLE
    permission_classes = [ModelPermission]
    permission_model = "subscription"

    def _get(self, pk) -> Subscription:
        found = _subscriptions().filter(pk=pk).first()
        if found is None:
            raise exceptions.NotFound()
        return found

    @extend_schema(tags=["exchange"], summary="One subscription", responses={200: SubscriptionSerializer})
    def get(self, request, pk):
        return Response(SubscriptionSerializer(self._get(pk)).data)

    @extend_schema(
        tags=["exchange"],
        summary="Change a subscription's schedule or pause/resume it",
        request=ChangeSubscriptionSerializer,
        responses={200: SubscriptionSerializer, 400: OpenApiTypes.OBJECT},
    )
    def patch(self, request, pk):
        subscription = self._get(pk)
        data = request.data
        if not isinstance(data, dict):
            raise exceptions.ValidationError({"detail": _("The body must be a JSON object.")})
        named = {}
        if "partner" in data:
            named["partner"] = str(data["partner"]) == str(subscription.partner_id)
        if "dataset" in data:
            named["dataset"] = str(data["dataset"]) == subscription.dataset
        if "resourceType" in data:
            entry = catalog.resource_type(str(data["resourceType"]))
            named["resourceType"] = (entry["dataset"] if entry else str(data["resourceType"])) == subscription.dataset
        errors = {
            name: [_("Cannot be changed: create another subscription and delete this one.")]
            for name, same in named.items()
            if not same
        }
        if errors:
            raise exceptions.ValidationError(errors)
        body = ChangeSubscriptionSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        subscriptions.change(
            subscription, schedule=body.validated_data.get("schedule"), enabled=body.validated_data.get("enabled")
        )
        return Response(SubscriptionSerializer(self._get(pk)).data)

    @extend_schema(
        tags=["exchange"],
        summary="Delete a subscription (409 while records wait to be sent, unless force=true)",
        parameters=[OpenApiParameter("force", bool, description="drop the records still waiting")],
        responses={204: None, 409: OpenApiTypes.OBJECT},
    )
    def delete(self, request, pk):
        subscription = self._get(pk)
        force = request.query_params.get("force", "").lower() in TRUE
        subscriptions.unsubscribe(subscription, force=force)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- partners ---------------------------------------------------------------------------------------------


class PartnerSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    has_token = serializers.SerializerMethodField()
    subscriptions = serializers.IntegerField(source="subscription_count", read_only=True)

    class Meta:
        model = Partner
        fields = [
            "id",
            "name",
            "kind",
            "kind_label",
            "base_url",
            "enabled",
            "batch_size",
            "timeout_seconds",
            "has_token",
            "subscriptions",
        ]

    def get_has_token(self, obj) -> bool:
        return bool(obj.token_encrypted)


class PartnerListView(APIView):
    authentication_classes = PEOPLE
    permission_classes = [ModelPermission]
    permission_model = "partner"

    @extend_schema(
        tags=["exchange"], summary="Exchange partners (no credentials)", responses={200: PartnerSerializer(many=True)}
    )
    def get(self, request):
        queryset = Partner.objects.annotate(subscription_count=Count("subscriptions")).order_by("name")
        paginator = StandardPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(PartnerSerializer(page, many=True).data)


# --- code lists -------------------------------------------------------------------------------------------


class SpecialWorkTypesView(APIView):
    authentication_classes = CLIENT_OR_PERSON
    permission_classes = [SignedInOrExchangeClient]

    @extend_schema(
        tags=["exchange"],
        summary="Special-work types (TASK_TYPE): the 18 sub-codes with their major category (DX-SW-18)",
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        return Response(catalog.special_work_types())


class VideoAlarmTypesView(APIView):
    authentication_classes = CLIENT_OR_PERSON
    permission_classes = [SignedInOrExchangeClient]

    @extend_schema(
        tags=["exchange"],
        summary="Video alarm types (ALARM_TYPE) of enterprises or gas stations (DX-VE-01, DX-VG-01)",
        parameters=[OpenApiParameter("source", str, enum=list(catalog.VIDEO_SOURCES), required=True)],
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        return Response(catalog.video_alarm_types(request.query_params.get("source")))
