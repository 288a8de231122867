"""Incidents (事故事件/违法违规) recorded by regulators: the ground truth of the backtest."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from apps.core.api.filters import EnterpriseOwnedFilterSet
from apps.core.api.viewsets import ScopedViewSetMixin
from apps.enterprises.api.views import resolve_enterprise

from ..models import Incident
from ..services import patrols


class IncidentSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.organisation.name", read_only=True)

    class Meta:
        model = Incident
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "occurred_on",
            "kind",
            "severity",
            "deaths",
            "description",
            "source",
            "created_at",
        ]
        read_only_fields = fields


class IncidentWriteSerializer(serializers.Serializer):
    enterprise = serializers.IntegerField()
    occurred_on = serializers.DateField()
    kind = serializers.ChoiceField(choices=Incident.Kind.choices)
    severity = serializers.ChoiceField(choices=Incident.Severity.choices, required=False, allow_blank=True, default="")
    deaths = serializers.IntegerField(min_value=0, required=False, default=0)
    description = serializers.CharField(required=False, allow_blank=True, default="")


class IncidentFilterSet(EnterpriseOwnedFilterSet):
    kind = django_filters.ChoiceFilter(choices=Incident.Kind.choices)
    since = django_filters.DateFilter(field_name="occurred_on", lookup_expr="gte")
    until = django_filters.DateFilter(field_name="occurred_on", lookup_expr="lte")

    class Meta:
        model = Incident
        fields = ["enterprise", "region", "kind", "since", "until"]


class IncidentViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Incident.objects.select_related("enterprise__organisation")
    serializer_class = IncidentSerializer
    filterset_class = IncidentFilterSet

    @extend_schema(request=IncidentWriteSerializer, responses={201: IncidentSerializer})
    def create(self, request):
        data = IncidentWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        enterprise = resolve_enterprise(request.user, values.pop("enterprise"))
        incident = patrols.record_incident(enterprise, actor=request.user, **values)
        return Response(IncidentSerializer(incident).data, status=status.HTTP_201_CREATED)
