"""Forms of the enterprise registry in the portal. They validate shapes; the services validate the domain,
and their field errors are shown on the form (``apply_domain_error``)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.codes import choices_of
from apps.facilities.models import FacilityKind
from apps.monitoring.models import MeasurementKind

BLANK = [("", "---------")]


def attribute_fields(schema: list[dict], prefix: str) -> dict[str, forms.Field]:
    """Form fields for a data-described attribute schema (apps.core.attributes); the service validates."""
    fields = {}
    for spec in schema:
        label = f"{spec['label']}（{spec['unit']}）" if spec.get("unit") else spec["label"]
        common = {"label": label, "required": False}
        kind = spec["type"]
        if kind == "choice":
            field = forms.ChoiceField(choices=BLANK + [(str(c[0]), c[1]) for c in spec["choices"]], **common)
        elif kind == "boolean":
            field = forms.ChoiceField(choices=BLANK + [("true", _("Yes")), ("false", _("No"))], **common)
        elif kind == "date":
            field = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
        elif kind in ("number", "integer"):
            field = forms.DecimalField(**common)
        elif kind == "text":
            field = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), **common)
        elif kind == "substances":
            field = forms.CharField(
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text=_("One per line: name, quantity in tonnes"),
                **common,
            )
        else:
            field = forms.CharField(**common)
        field.widget.attrs["data-required"] = "1" if spec.get("required") else "0"
        fields[f"{prefix}{spec['key']}"] = field
    return fields


def attribute_values(schema: list[dict], cleaned: dict, prefix: str) -> dict:
    values = {}
    for spec in schema:
        value = cleaned.get(f"{prefix}{spec['key']}")
        if value in (None, ""):
            continue
        if spec["type"] == "substances":
            items = []
            for line in str(value).splitlines():
                if line.strip():
                    name, _sep, quantity = line.replace("，", ",").partition(",")
                    items.append({"name": name.strip(), "quantity_t": quantity.strip() or "0"})
            value = items
        elif spec["type"] == "date":
            value = value.isoformat()
        else:
            value = str(value)
        values[spec["key"]] = value
    return values


def attribute_initial(schema: list[dict], values: dict, prefix: str) -> dict:
    initial = {}
    for spec in schema:
        value = (values or {}).get(spec["key"])
        if value is None:
            continue
        if spec["type"] == "substances":
            value = "\n".join(f"{i['name']}, {i['quantity_t']}" for i in value)
        elif spec["type"] == "boolean":
            value = "true" if value else "false"
        initial[f"{prefix}{spec['key']}"] = value
    return initial


class BaseInformationForm(forms.Form):
    """An enterprise's base information (信息维护) with its industries' special information."""

    address = forms.CharField(label=_("Address"), max_length=255, required=False)
    legal_representative = forms.CharField(label=_("Legal representative"), max_length=64, required=False)
    principal = forms.CharField(label=_("principal"), max_length=64, required=False)
    principal_phone = forms.CharField(label=_("principal's phone"), max_length=32, required=False)
    safety_manager = forms.CharField(label=_("safety manager"), max_length=64, required=False)
    safety_manager_phone = forms.CharField(label=_("safety manager's phone"), max_length=32, required=False)
    scale = forms.ChoiceField(label=_("scale"), required=False)
    employees = forms.IntegerField(label=_("employees"), min_value=0, required=False)
    economic_type = forms.ChoiceField(label=_("economic type"), required=False)
    affiliation = forms.ChoiceField(label=_("affiliation"), required=False)
    supervision_level = forms.ChoiceField(label=_("supervision level"), required=False)
    hazchem_category = forms.ChoiceField(label=_("hazardous-chemicals category"), required=False)
    dust_kinds = forms.MultipleChoiceField(label=_("dust kinds"), required=False, widget=forms.CheckboxSelectMultiple)
    dust_workers = forms.IntegerField(label=_("dust-exposed workers"), min_value=0, required=False)
    registration_code = forms.CharField(label=_("registration system code"), max_length=64, required=False)
    province_code = forms.CharField(label=_("provincial enterprise code"), max_length=9, required=False)

    CODED = {
        "scale": "enterprise_scale",
        "economic_type": "economic_type",
        "affiliation": "affiliation",
        "supervision_level": "supervision_level",
        "hazchem_category": "hazchem_category",
    }

    def __init__(self, *args, enterprise, **kwargs):
        self.enterprise = enterprise
        self.industries = list(enterprise.industries.all())
        initial = {name: getattr(enterprise, name) for name in self.base_fields}
        for industry in self.industries:
            initial.update(
                attribute_initial(
                    industry.special_attributes,
                    (enterprise.special_info or {}).get(industry.code, {}),
                    f"special__{industry.code}__",
                )
            )
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        for name, table in self.CODED.items():
            self.fields[name].choices = BLANK + choices_of(table)
        self.fields["dust_kinds"].choices = choices_of("dust_kind")
        codes = {i.code for i in self.industries}
        if "hazardous_chemicals" not in codes:
            del self.fields["hazchem_category"], self.fields["registration_code"]
        if "dust_explosion" not in codes:
            del self.fields["dust_kinds"], self.fields["dust_workers"]
        for industry in self.industries:
            self.fields.update(attribute_fields(industry.special_attributes, f"special__{industry.code}__"))

    def changes(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if not k.startswith("special__")}
        data["special_info"] = {
            i.code: attribute_values(i.special_attributes, self.cleaned_data, f"special__{i.code}__")
            for i in self.industries
        }
        return data


class FacilityForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=64)
    name = forms.CharField(label=_("Name"), max_length=128)
    parent = forms.ChoiceField(label=_("Parent facility"), required=False)
    registration_code = forms.CharField(label=_("registration system code"), max_length=64, required=False)

    def __init__(self, *args, kind: FacilityKind, parents, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields["parent"].choices = BLANK + [(str(p.pk), f"{p.name}（{p.code}）") for p in parents]
        if not kind.parent_kinds:
            del self.fields["parent"]
        self.fields.update(attribute_fields(kind.attributes, "attr__"))

    def values(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if not k.startswith("attr__")}
        data["attributes"] = attribute_values(self.kind.attributes, self.cleaned_data, "attr__")
        return data


class FacilityStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Facility status"))
    effective_on = forms.DateField(label=_("Effective on"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from apps.facilities.models import FacilityStatus

        self.fields["status"].choices = FacilityStatus.choices


class PointForm(forms.Form):
    facility = forms.ChoiceField(label=_("Facility"))
    kind = forms.ChoiceField(label=_("Measurement kind"))
    code = forms.CharField(label=_("Code"), max_length=64)
    name = forms.CharField(label=_("Name"), max_length=128)
    unit = forms.CharField(label=_("Unit"), max_length=16, required=False)
    range_low = forms.FloatField(label=_("Range low"), required=False)
    range_high = forms.FloatField(label=_("Range high"), required=False)
    low_low = forms.FloatField(label=_("Low-low"), required=False)
    low = forms.FloatField(label=_("Low"), required=False)
    high = forms.FloatField(label=_("High"), required=False)
    high_high = forms.FloatField(label=_("High-high"), required=False)
    bit_number = forms.CharField(label=_("Bit number"), max_length=64, required=False)
    period_s = forms.IntegerField(label=_("Reporting period (s)"), min_value=1, max_value=86400, initial=60)
    position = forms.CharField(label=_("Position"), max_length=255, required=False)
    in_use = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args, facilities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].choices = [(str(f.pk), f"{f.name}（{f.code}）") for f in facilities]
        self.fields["kind"].choices = [
            (k.code, f"{k.name} {k.unit}".strip()) for k in MeasurementKind.objects.order_by("code")
        ]


class CameraForm(forms.Form):
    code = forms.CharField(label=_("GB/T 28181 code"), max_length=20)
    name = forms.CharField(label=_("Name"), max_length=128)
    facility = forms.ChoiceField(label=_("Facility"), required=False)
    position = forms.CharField(label=_("Position"), max_length=255, required=False)
    stream_url = forms.CharField(label=_("Live stream URL"), max_length=500, required=False)
    in_use = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args, facilities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].choices = BLANK + [(str(f.pk), f"{f.name}（{f.code}）") for f in facilities]


class HazardSourceForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=64)
    name = forms.CharField(label=_("Name"), max_length=128)
    exposed_population = forms.IntegerField(label=_("People exposed within 500 m outside the plant"), min_value=0)
    facilities = forms.MultipleChoiceField(label=_("Facilities"), required=False, widget=forms.CheckboxSelectMultiple)
    substances = forms.CharField(
        label=_("Substances"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line: table-1 name, CAS or category symbol, then the design maximum in tonnes"),
    )
    filing_number = forms.CharField(label=_("Filing number"), max_length=64, required=False)
    principal_person = forms.CharField(label=_("Principal responsible person"), max_length=64, required=False)
    technical_person = forms.CharField(label=_("Technical responsible person"), max_length=64, required=False)
    operational_person = forms.CharField(label=_("Operational responsible person"), max_length=64, required=False)

    def __init__(self, *args, facilities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facilities"].choices = [(str(f.pk), f"{f.name}（{f.code}）") for f in facilities]

    def clean_substances(self):
        import re

        items = []
        for number, line in enumerate(self.cleaned_data["substances"].splitlines(), start=1):
            if not line.strip():
                continue
            name, _sep, quantity = line.replace("，", ",").rpartition(",")
            try:
                value = float(quantity)
            except ValueError:
                raise forms.ValidationError(
                    _("Line %(n)d: a quantity in tonnes is required.") % {"n": number}
                ) from None
            name = name.strip()
            key = (
                "cas"
                if re.fullmatch(r"\d{2,7}-\d{2}-\d", name)
                else ("category" if re.fullmatch(r"[JW]\d+(\.\d+)?", name) else "name")
            )
            items.append({key: name, "quantity_t": value})
        if not items:
            raise forms.ValidationError(_("Give at least one substance."))
        return items
