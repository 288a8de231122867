"""Base-data completeness (基础数据质量, ANA-03): which required fields an enterprise has not filled in.

Required fields depend on the enterprise's industries; an industry's special information adds the
attributes its schema marks as required.
"""

from django.utils.translation import gettext_lazy as _

BASE_REQUIRED = {
    "address": _("address"),
    "location": _("location"),
    "legal_representative": _("legal representative"),
    "principal": _("principal"),
    "principal_phone": _("principal's phone"),
    "safety_manager": _("safety manager"),
    "safety_manager_phone": _("safety manager's phone"),
    "scale": _("scale"),
    "employees": _("employees"),
    "economic_type": _("economic type"),
    "supervision_level": _("supervision level"),
}
INDUSTRY_REQUIRED = {
    "hazardous_chemicals": {"hazchem_category": _("hazardous-chemicals category")},
    "dust_explosion": {"dust_kinds": _("dust kinds"), "dust_workers": _("dust-exposed workers")},
}


def _filled(value) -> bool:
    return value not in (None, "", [], {})


def completeness(enterprise) -> dict:
    """``{"score": 0..1, "missing": [{"field", "label"}], "required": n}`` for one enterprise."""
    industries = list(enterprise.industries.all())
    required = dict(BASE_REQUIRED)
    missing = []
    if not industries:
        missing.append({"field": "industries", "label": str(_("industries"))})
    for industry in industries:
        required.update(INDUSTRY_REQUIRED.get(industry.code, {}))
    for field, label in required.items():
        if not _filled(getattr(enterprise, field)):
            missing.append({"field": field, "label": str(label)})
    total = len(required) + 1
    for industry in industries:
        values = (enterprise.special_info or {}).get(industry.code, {})
        for spec in industry.special_attributes:
            if spec.get("required"):
                total += 1
                if not _filled(values.get(spec["key"])):
                    missing.append({"field": f"special_info.{industry.code}.{spec['key']}", "label": spec["label"]})
    return {"score": round((total - len(missing)) / total, 4), "missing": missing, "required": total}
