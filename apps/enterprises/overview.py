"""One-screen enterprise overview (一企一档, ACC-09): master data plus every app's dependent data.

Apps above this one register a section provider in their ``AppConfig.ready``:
``register_section("monitoring", provider, order=30)`` where ``provider(enterprise, user)``
returns JSON-able data. The overview calls them in order, all keyed by the enterprise id.
"""

from collections.abc import Callable

_SECTIONS: list[tuple[int, str, Callable]] = []


def register_section(name: str, provider: Callable, *, order: int = 100) -> None:
    global _SECTIONS
    _SECTIONS = sorted([s for s in _SECTIONS if s[1] != name] + [(order, name, provider)])


def build_overview(enterprise, user) -> dict:
    return {
        "enterprise_id": enterprise.pk,
        "sections": {name: provider(enterprise, user) for _, name, provider in _SECTIONS},
    }


def _base_section(enterprise, user) -> dict:
    org = enterprise.organisation
    return {
        "name": org.name,
        "uscc": org.uscc,
        "region": {
            "code": org.region.code,
            "name": org.region.name,
            "chain": [{"code": r.code, "name": r.name} for r in org.region.ancestors()],
        },
        "address": enterprise.address,
        "location": [enterprise.location.x, enterprise.location.y] if enterprise.location else None,
        "industries": [{"code": i.code, "name": i.name} for i in enterprise.industries.all()],
        "status": enterprise.status,
        "legal_representative": enterprise.legal_representative,
        "safety_manager": enterprise.safety_manager,
        "safety_manager_phone": enterprise.safety_manager_phone,
        "province_code": enterprise.province_code,
    }


def _people_section(enterprise, user) -> dict:
    from django.db.models import Count

    users = enterprise.organisation.users.filter(is_active=True)
    by_role = users.values("groups__name").annotate(n=Count("id")).order_by("groups__name")
    return {"active_users": users.count(), "by_role": {r["groups__name"]: r["n"] for r in by_role if r["groups__name"]}}


def _registry_section(enterprise, user) -> dict:
    from django.utils import timezone

    from apps.core.codes import codes_of

    from .quality import completeness

    today = timezone.localdate()
    shutdowns = [
        {
            "starts_on": s.starts_on,
            "ends_on": s.ends_on,
            "reason": s.reason,
            "in_force": s.starts_on <= today and (s.ends_on is None or s.ends_on >= today),
        }
        for s in enterprise.shutdowns.all()[:5]
    ]
    labels = {
        "scale": codes_of("enterprise_scale").get(enterprise.scale, enterprise.scale),
        "economic_type": codes_of("economic_type").get(enterprise.economic_type, enterprise.economic_type),
        "supervision_level": codes_of("supervision_level").get(
            enterprise.supervision_level, enterprise.supervision_level
        ),
        "hazchem_category": codes_of("hazchem_category").get(enterprise.hazchem_category, enterprise.hazchem_category),
        "dust_kinds": [codes_of("dust_kind").get(k, k) for k in enterprise.dust_kinds],
    }
    special = []
    for industry in enterprise.industries.all():
        values = (enterprise.special_info or {}).get(industry.code, {})
        special += [
            {
                "industry": industry.name,
                "label": spec["label"],
                "value": values.get(spec["key"]),
                "unit": spec.get("unit", ""),
            }
            for spec in industry.special_attributes
            if values.get(spec["key"]) not in (None, "")
        ]
    return {
        "principal": enterprise.principal,
        "principal_phone": enterprise.principal_phone,
        "employees": enterprise.employees,
        "dust_workers": enterprise.dust_workers,
        "monitoring_connected": enterprise.monitoring_connected,
        "labels": labels,
        "special_info": special,
        "shutdowns": shutdowns,
        "completeness": completeness(enterprise),
    }


register_section("base", _base_section, order=0)
register_section("registry", _registry_section, order=5)
register_section("people", _people_section, order=10)
