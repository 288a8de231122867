import django_filters
from auditlog.models import LogEntry
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from apps.accounts import services
from apps.accounts.models import AuthEvent, Organisation, Role, User, UserType
from apps.core.api.viewsets import ScopedReadOnlyViewSet, ScopedViewSetMixin

from .serializers import (
    AuthEventSerializer,
    MeSerializer,
    OrganisationSerializer,
    OrganisationUpdateSerializer,
    PasswordChangeSerializer,
    RoleSerializer,
    RolesSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
    UserCreateSerializer,
    UserPermissionsSerializer,
    UserSerializer,
    UserTypeSerializer,
    UserUpdateSerializer,
)

ERROR = inline_serializer("Error", {"detail": serializers.CharField()})


class TokenView(APIView):
    """Token login for the mobile app and API clients (contract §1)."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: TokenResponseSerializer,
            400: OpenApiResponse(description="wrong credentials"),
            403: OpenApiResponse(ERROR, description="account locked or disabled"),
        },
        auth=[],
    )
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.authenticate_user(
            data.validated_data["username"], data.validated_data["password"], request=request, channel="api"
        )
        token, raw = services.issue_token(user, request=request)
        return Response({"token": raw, "expires_at": token.expires_at, "user_type": user.user_type})


class TokenRevokeView(APIView):
    """Log out: revoke the token used for this request."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        token = getattr(request, "api_token", None)
        if token is not None:
            services.revoke_token(token, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user = User.objects.prefetch_related("groups").select_related("organisation").get(pk=request.user.pk)
        return Response(MeSerializer(user).data)


class PasswordChangeView(APIView):
    """Change one's own password; the caller's other API tokens are revoked."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=PasswordChangeSerializer, responses={204: None})
    def post(self, request):
        data = PasswordChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.change_own_password(
            request.user, data.validated_data["old_password"], data.validated_data["new_password"], request=request
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserTypesView(APIView):
    """The platform's user classes (ACC-06)."""

    permission_classes = [AllowAny]

    @extend_schema(responses=UserTypeSerializer(many=True), auth=[])
    def get(self, request):
        return Response([{"code": c.value, "name": str(c.label)} for c in UserType])


class RoleViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Role.objects.order_by("side", "code")
    serializer_class = RoleSerializer
    lookup_field = "code"
    pagination_class = None
    filterset_fields = ["side"]


class OrganisationFilterSet(django_filters.FilterSet):
    region = django_filters.CharFilter(method="filter_region", label=_("region code (its subtree)"))
    service_type = django_filters.CharFilter(method="filter_service_type", label=_("service types"))

    class Meta:
        model = Organisation
        fields = ["kind", "level", "is_active", "region", "service_type"]

    def filter_service_type(self, queryset, name, value):
        return queryset.filter(service_types__contains=[value])

    def filter_region(self, queryset, name, value):
        from apps.regions.models import Region

        region = Region.objects.filter(code=value).first()
        return queryset.in_region(region) if region else queryset.none()


class OrganisationViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Organisations in the caller's jurisdiction; regulators administer those below them."""

    queryset = Organisation.objects.select_related("region").order_by("kind", "name")
    filterset_class = OrganisationFilterSet
    search_fields = ["name", "uscc"]
    scope_actions = {"tree": "view"}
    ordering_fields = ["name", "created_at"]

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return OrganisationUpdateSerializer
        return OrganisationSerializer

    def perform_create(self, serializer):
        serializer.instance = services.create_organisation(
            self.request.user, request=self.request, **serializer.validated_data
        )

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["get"])
    def tree(self, request):
        """Regulators in scope as a tree (监管机构树), each under the nearest regulator of an enclosing region,
        with their number of active staff."""
        from django.db.models import Count, Q

        regulators = list(
            self.filter_queryset(self.get_queryset())
            .regulators()
            .annotate(staff=Count("users", filter=Q(users__is_active=True)))
            .order_by("region__depth", "region__code")
        )
        by_path = {}
        roots = []
        for org in regulators:
            node = {
                "id": org.pk,
                "name": org.name,
                "level": org.level,
                "region": org.region.code,
                "staff": org.staff,
                "children": [],
            }
            parent = None
            path = org.region.path
            while path.count("/") > 2 and parent is None:
                path = path[: path.rstrip("/").rfind("/") + 1]
                parent = by_path.get(path)
            (parent["children"] if parent else roots).append(node)
            by_path.setdefault(org.region.path, node)
        return Response(roots)

    def perform_update(self, serializer):
        changes = {k: v for k, v in serializer.validated_data.items() if k in ("name", "service_types")}
        services.update_organisation(self.request.user, serializer.instance, **changes)


class UserFilterSet(django_filters.FilterSet):
    role = django_filters.CharFilter(field_name="groups__name", label=_("role code"))

    class Meta:
        model = User
        fields = ["organisation", "is_active", "role"]


class UserViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Users, administered hierarchically (ACC-02). Users are disabled, never deleted."""

    queryset = User.objects.select_related("organisation").prefetch_related("groups").order_by("username")
    serializer_class = UserSerializer
    filterset_class = UserFilterSet
    search_fields = ["username", "real_name", "phone"]
    ordering_fields = ["username", "date_joined", "last_login"]
    scope_actions = {"roles": "change", "unlock": "change", "permissions": "view"}

    @extend_schema(request=UserCreateSerializer, responses={201: UserSerializer})
    def create(self, request, *args, **kwargs):
        data = UserCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.create_user(request.user, request=request, **data.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=UserUpdateSerializer, responses=UserSerializer)
    def update(self, request, *args, **kwargs):
        user = self.get_object()
        data = UserUpdateSerializer(data=request.data, partial=kwargs.get("partial", False))
        data.is_valid(raise_exception=True)
        user = services.update_user(request.user, user, request=request, **data.validated_data)
        return Response(UserSerializer(user).data)

    @extend_schema(responses=UserPermissionsSerializer)
    @action(detail=True, methods=["get"])
    def permissions(self, request, pk=None):
        """Login right, roles, permissions, object grants and data scope of this user."""
        return Response(UserPermissionsSerializer(services.permissions_of(self.get_object())).data)

    @extend_schema(request=RolesSerializer, responses=UserSerializer)
    @action(detail=True, methods=["put"])
    def roles(self, request, pk=None):
        user = self.get_object()
        data = RolesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.set_roles(request.user, user, data.validated_data["roles"], request=request)
        return Response(UserSerializer(user).data)

    @extend_schema(request=None, responses=UserSerializer)
    @action(detail=True, methods=["post"])
    def unlock(self, request, pk=None):
        user = services.unlock_user(request.user, self.get_object(), request=request)
        return Response(UserSerializer(user).data)


class AuthEventFilterSet(django_filters.FilterSet):
    since = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = AuthEvent
        fields = ["kind", "user", "channel", "since", "until"]


class AuthEventViewSet(ScopedReadOnlyViewSet):
    """Login and permission events of users in the caller's jurisdiction (ACC-16)."""

    queryset = AuthEvent.objects.select_related("actor").order_by("-created_at", "-id")
    serializer_class = AuthEventSerializer
    filterset_class = AuthEventFilterSet
    search_fields = ["username", "ip"]


class IsOps(BasePermission):
    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and (user.is_superuser or "ops" in user.role_codes))


class ChangeLogSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", read_only=True, default=None)
    model = serializers.CharField(source="content_type.model", read_only=True)
    action = serializers.CharField(source="get_action_display", read_only=True)

    class Meta:
        model = LogEntry
        fields = ["id", "timestamp", "actor", "remote_addr", "model", "object_pk", "object_repr", "action", "changes"]


class ChangeLogFilterSet(django_filters.FilterSet):
    model = django_filters.CharFilter(field_name="content_type__model")
    since = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="gte")

    class Meta:
        model = LogEntry
        fields = ["model", "object_pk", "actor", "since"]


class ChangeLogViewSet(viewsets.ReadOnlyModelViewSet):
    """Create/update/delete trail of domain objects (django-auditlog), for ops."""

    permission_classes = [IsOps]
    queryset = LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp")
    serializer_class = ChangeLogSerializer
    filterset_class = ChangeLogFilterSet
