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
    }


def _people_section(enterprise, user) -> dict:
    from django.db.models import Count

    users = enterprise.organisation.users.filter(is_active=True)
    by_role = users.values("groups__name").annotate(n=Count("id")).order_by("groups__name")
    return {"active_users": users.count(), "by_role": {r["groups__name"]: r["n"] for r in by_role if r["groups__name"]}}


register_section("base", _base_section, order=0)
register_section("people", _people_section, order=10)
