"""Warning deadlines per level (预警处置时限): read by every regulator, changed by provincial admins."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from ..models import WarningPolicy
from ..services.catalogue import POLICY_FIELDS, update_warning_policy


class WarningPolicySerializer(serializers.ModelSerializer):
    level = serializers.IntegerField(source="level_id", read_only=True)

    class Meta:
        model = WarningPolicy
        fields = ["level", *POLICY_FIELDS, "updated_at"]
        read_only_fields = fields


class WarningPolicyViewSet(viewsets.GenericViewSet):
    """``GET /risk/warning-policies``, ``GET|PATCH /risk/warning-policies/{level}``."""

    permission_classes = [IsAuthenticated]
    serializer_class = WarningPolicySerializer
    queryset = WarningPolicy.objects.order_by("level")
    lookup_field = "level"
    pagination_class = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not request.user.has_perm("risk.view_warningpolicy"):
            raise PermissionDenied()

    def list(self, request):
        return Response(WarningPolicySerializer(self.get_queryset(), many=True).data)

    def retrieve(self, request, level=None):
        return Response(WarningPolicySerializer(self.get_object()).data)

    @extend_schema(request=WarningPolicySerializer(partial=True), responses={200: WarningPolicySerializer})
    def partial_update(self, request, level=None):
        policy = self.get_object()
        changes = request.data if isinstance(request.data, dict) else {}
        policy = update_warning_policy(policy.level_id, dict(changes), actor=request.user)
        return Response(WarningPolicySerializer(policy).data)
