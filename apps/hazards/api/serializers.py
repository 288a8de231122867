from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.hazards.models import FilingStatus, HazardCategory, HazardSource, Substance


class DeclaredSubstanceSerializer(serializers.Serializer):
    """A substance by ``cas`` or table-1 ``name``, or a table-2 ``category`` symbol, with its quantity."""

    cas = serializers.CharField(max_length=16, required=False)
    name = serializers.CharField(max_length=128, required=False)
    category = serializers.CharField(max_length=8, required=False)
    quantity_t = serializers.FloatField(help_text="design maximum quantity in tonnes")
    facility = serializers.IntegerField(required=False, allow_null=True, help_text="facility id (optional)")

    def validate(self, attrs):
        given = [k for k in ("cas", "name", "category") if attrs.get(k)]
        if len(given) != 1:
            raise serializers.ValidationError(_("Give exactly one of cas, name or category."))
        if attrs["quantity_t"] < 0:
            raise serializers.ValidationError(
                {"quantity_t": _("%(item)s: the quantity must be zero or more tonnes.") % {"item": attrs[given[0]]}}
            )
        return attrs


class AssessRequestSerializer(serializers.Serializer):
    exposed_population = serializers.IntegerField(min_value=0)
    substances = DeclaredSubstanceSerializer(many=True, allow_empty=False)


class TermSerializer(serializers.Serializer):
    substance = serializers.CharField()
    q = serializers.FloatField()
    Q = serializers.FloatField()
    beta = serializers.FloatField()
    q_over_Q = serializers.FloatField()


class AssessResponseSerializer(serializers.Serializer):
    S = serializers.FloatField()
    R = serializers.FloatField()
    alpha = serializers.FloatField()
    is_major = serializers.BooleanField()
    level = serializers.IntegerField(allow_null=True)
    terms = TermSerializer(many=True)


class HazardCategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = HazardCategory
        fields = ["symbol", "hazard_class", "description", "q_t", "beta"]


class SubstanceSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.symbol")
    beta = serializers.DecimalField(max_digits=6, decimal_places=2, read_only=True)

    class Meta:
        model = Substance
        fields = ["id", "seq", "name", "aliases", "cas_numbers", "q_t", "category", "beta", "note"]


class HazardSourceSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.organisation.name", read_only=True)
    substances = serializers.SerializerMethodField()

    class Meta:
        model = HazardSource
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "code",
            "name",
            "facilities",
            "exposed_population",
            "substances",
            "s_value",
            "r_value",
            "alpha",
            "is_major",
            "level",
            "terms",
            "assessed_at",
            "filing_status",
            "filing_number",
            "filed_on",
            "principal_person",
            "principal_phone",
            "technical_person",
            "technical_phone",
            "operational_person",
            "operational_phone",
            "updated_at",
        ]
        read_only_fields = fields

    def get_substances(self, obj) -> list[dict]:
        return [
            {
                "name": s.substance.name if s.substance else s.category.symbol,
                "label": s.label,
                "quantity_t": float(s.quantity_t),
                "facility": s.facility_id,
            }
            for s in obj.substances.all()
        ]


class HazardSourceBriefSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.organisation.name", read_only=True)
    region = serializers.CharField(source="enterprise.organisation.region.code", read_only=True)

    class Meta:
        model = HazardSource
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "region",
            "code",
            "name",
            "s_value",
            "r_value",
            "is_major",
            "level",
            "filing_status",
            "assessed_at",
        ]
        read_only_fields = fields


PEOPLE = [
    "principal_person",
    "principal_phone",
    "technical_person",
    "technical_phone",
    "operational_person",
    "operational_phone",
]


class HazardSourceWriteSerializer(serializers.Serializer):
    enterprise = serializers.IntegerField()
    code = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=128)
    facilities = serializers.ListField(child=serializers.IntegerField(), default=list)
    exposed_population = serializers.IntegerField(min_value=0)
    substances = DeclaredSubstanceSerializer(many=True, default=list)
    filing_status = serializers.ChoiceField(choices=FilingStatus.choices, default=FilingStatus.UNFILED)
    filing_number = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    filed_on = serializers.DateField(required=False, allow_null=True, default=None)
    principal_person = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    principal_phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    technical_person = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    technical_phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    operational_person = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    operational_phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")


class HazardSourceUpdateSerializer(HazardSourceWriteSerializer):
    """Used with ``partial=True``: only the fields sent change (defaults do not apply)."""

    enterprise = None
