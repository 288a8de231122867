"""GB 18218-2018: identification (S) and grading (R) of major hazard sources, and their upkeep.

S = Σ qᵢ/Qᵢ (a major hazard source when S ≥ 1); R = α · Σ βᵢ·qᵢ/Qᵢ; the level from table 6.
Q and β come from the tables (table 1 for named substances, table 2/4 by category, table 3 for
named toxic gases), α from table 5 by the people exposed within 500 m outside the plant.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.exceptions import InvalidInput

from .models import AlphaBand, HazardCategory, HazardLevel, HazardSource, HazardSourceSubstance, Substance

TABLES_DIR = Path(settings.BASE_DIR) / "fixtures" / "gb18218"


@dataclass
class Term:
    name: str
    q: Decimal
    critical_q: Decimal
    beta: Decimal

    @property
    def ratio(self) -> Decimal:
        return self.q / self.critical_q

    def as_dict(self) -> dict:
        return {
            "substance": self.name,
            "q": float(self.q),
            "Q": float(self.critical_q),
            "beta": float(self.beta),
            "q_over_Q": round(float(self.ratio), 6),
        }


@dataclass
class Assessment:
    s: Decimal
    r: Decimal
    alpha: Decimal
    is_major: bool
    level: int | None
    terms: list[Term] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "S": round(float(self.s), 6),
            "R": round(float(self.r), 6),
            "alpha": float(self.alpha),
            "is_major": self.is_major,
            "level": self.level,
            "terms": [t.as_dict() for t in self.terms],
        }


def alpha_for(exposed_population: int) -> Decimal:
    if exposed_population is None or exposed_population < 0:
        raise InvalidInput(_("The exposed population cannot be negative."), field="exposed_population")
    band = (
        AlphaBand.objects.filter(min_people__lte=exposed_population)
        .filter(Q(max_people__isnull=True) | Q(max_people__gte=exposed_population))
        .order_by("-min_people")
        .first()
    )
    if band is None:
        raise InvalidInput(_("GB 18218 table 5 is not loaded."), field="exposed_population")
    return band.alpha


def level_for(r: Decimal) -> int | None:
    level = HazardLevel.objects.filter(min_r__lte=r).order_by("level").first()
    return level.level if level else None


def assess(exposed_population: int, items: list[tuple[str, Decimal, Decimal, Decimal]]) -> Assessment:
    """Assess ``items`` = [(name, q, Q, β)]; pure arithmetic once Q and β are known."""
    alpha = alpha_for(exposed_population)
    terms = [Term(name, Decimal(q), Decimal(critical), Decimal(beta)) for name, q, critical, beta in items]
    s = sum((t.ratio for t in terms), Decimal(0))
    r = alpha * sum((t.beta * t.ratio for t in terms), Decimal(0))
    is_major = s >= 1
    return Assessment(s=s, r=r, alpha=alpha, is_major=is_major, level=level_for(r) if is_major else None, terms=terms)


# ---------------------------------------------------------------- resolving declared substances


def find_substance(*, cas: str | None = None, name: str | None = None) -> Substance | None:
    """The table-1 row for a CAS number or a name/alias.

    A few CAS numbers stand on several rows that differ by condition (硝化纤维素 by nitrogen content,
    硝酸铵 by combustible content); given only the CAS, the row with the lowest Q is taken — the
    conservative reading, as the standard does for chemicals with several hazards.
    """
    queryset = Substance.objects.select_related("category")
    if cas:
        return queryset.filter(cas_numbers__contains=[cas.strip()]).order_by("q_t", "seq").first()
    if name:
        name = name.strip()
        return queryset.filter(Q(name=name) | Q(aliases__contains=[name])).first()
    return None


def term_for(*, substance: Substance | None = None, category: HazardCategory | None = None, quantity_t) -> tuple:
    if substance is not None:
        return (substance.name, Decimal(quantity_t), substance.q_t, substance.beta)
    return (category.symbol, Decimal(quantity_t), category.q_t, category.beta)


def resolve_declared(declared: list[dict]) -> list[tuple]:
    """Contract §3 items (``cas`` | ``name`` | ``category`` with ``quantity_t``) as terms; errors name the item."""
    errors, terms = {}, []
    categories = {c.symbol: c for c in HazardCategory.objects.all()}
    for index, item in enumerate(declared):
        label = item.get("cas") or item.get("name") or item.get("category")
        quantity = item.get("quantity_t")
        if quantity is None or Decimal(str(quantity)) < 0:
            errors[f"substances[{index}]"] = [
                _("%(item)s: the quantity must be zero or more tonnes.") % {"item": label}
            ]
            continue
        if item.get("category"):
            category = categories.get(str(item["category"]).strip())
            if category is None:
                errors[f"substances[{index}]"] = [_("Unknown hazard category %(item)s.") % {"item": item["category"]}]
                continue
            terms.append(term_for(category=category, quantity_t=quantity))
            continue
        substance = find_substance(cas=item.get("cas"), name=item.get("name"))
        if substance is None:
            errors[f"substances[{index}]"] = [
                _("Unknown substance %(item)s (not in GB 18218 table 1).") % {"item": label}
            ]
            continue
        terms.append(term_for(substance=substance, quantity_t=quantity))
    if errors:
        raise InvalidInput(_("Some substances could not be assessed."), errors=errors)
    return terms


# ---------------------------------------------------------------- hazard sources


@transaction.atomic
def reassess(hazard_source: HazardSource) -> HazardSource:
    """Recompute S, R, α, the terms and the level from the source's current inputs, and keep them."""
    rows = hazard_source.substances.select_related("substance__category", "category")
    items = [term_for(substance=r.substance, category=r.category, quantity_t=r.quantity_t) for r in rows]
    result = assess(hazard_source.exposed_population, items)
    hazard_source.s_value, hazard_source.r_value, hazard_source.alpha = result.s, result.r, result.alpha
    hazard_source.is_major, hazard_source.level = result.is_major, result.level
    hazard_source.terms = [t.as_dict() for t in result.terms]
    hazard_source.assessed_at = timezone.now()
    hazard_source.save(
        update_fields=["s_value", "r_value", "alpha", "is_major", "level", "terms", "assessed_at", "updated_at"]
    )
    return hazard_source


@transaction.atomic
def set_substances(hazard_source: HazardSource, declared: list[dict]) -> HazardSource:
    """Replace the source's substances (each by ``substance``/``category`` and ``quantity_t``) and reassess."""
    resolve_declared(declared)  # validates every item first: nothing changes on error
    categories = {c.symbol: c for c in HazardCategory.objects.all()}
    hazard_source.substances.all().delete()
    rows = []
    for item in declared:
        substance = None if item.get("category") else find_substance(cas=item.get("cas"), name=item.get("name"))
        rows.append(
            HazardSourceSubstance(
                hazard_source=hazard_source,
                facility_id=item.get("facility"),
                substance=substance,
                category=categories.get(item["category"]) if item.get("category") else None,
                label=str(item.get("cas") or item.get("name") or item.get("category")),
                quantity_t=item["quantity_t"],
            )
        )
    HazardSourceSubstance.objects.bulk_create(rows)
    return reassess(hazard_source)


def _facilities(enterprise, ids):
    from apps.facilities.models import Facility

    facilities = list(Facility.objects.filter(enterprise=enterprise, pk__in=ids or []))
    if len(facilities) != len(set(ids or [])):
        raise InvalidInput(_("Some facilities do not belong to this enterprise."), field="facilities")
    return facilities


def _check_facility_refs(enterprise, declared):
    ids = {item["facility"] for item in declared if item.get("facility")}
    _facilities(enterprise, list(ids))


@transaction.atomic
def register_hazard_source(
    actor, *, enterprise, code, name, exposed_population, facilities=(), substances=(), **details
) -> HazardSource:
    """Register a hazard source (重大危险源) with its facilities and substances, and grade it."""
    from django.db import IntegrityError

    from apps.enterprises.access import require_enterprise_write

    require_enterprise_write(actor, enterprise, HazardSource, "add")
    facility_objs = _facilities(enterprise, list(facilities))
    _check_facility_refs(enterprise, substances)
    alpha_for(exposed_population)
    source = HazardSource(
        enterprise=enterprise, code=code.strip(), name=name.strip(), exposed_population=exposed_population, **details
    )
    try:
        with transaction.atomic():
            source.save()
    except IntegrityError:
        raise InvalidInput(
            _("Code %(code)s is already used in this enterprise.") % {"code": code}, field="code"
        ) from None
    source.facilities.set(facility_objs)
    return set_substances(source, list(substances))


@transaction.atomic
def update_hazard_source(actor, source: HazardSource, **changes) -> HazardSource:
    """Change a hazard source; a change of substances, quantities or population regrades it."""
    from apps.enterprises.access import require_enterprise_write

    require_enterprise_write(actor, source.enterprise, HazardSource, "change")
    substances = changes.pop("substances", None)
    facilities = changes.pop("facilities", None)
    if facilities is not None:
        source.facilities.set(_facilities(source.enterprise, facilities))
    if "exposed_population" in changes:
        alpha_for(changes["exposed_population"])
    for name, value in changes.items():
        setattr(source, name, value)
    source.save()
    if substances is not None:
        _check_facility_refs(source.enterprise, substances)
        return set_substances(source, substances)
    return reassess(source)


# ---------------------------------------------------------------- reference tables


@transaction.atomic
def load_gb18218_tables(directory: Path = TABLES_DIR) -> dict:
    def read(name):
        return json.loads((directory / name).read_text(encoding="utf-8"))

    for row in read("categories.json"):
        HazardCategory.objects.update_or_create(
            symbol=row["symbol"],
            defaults={
                "hazard_class": row["hazard_class"],
                "description": row["description"],
                "q_t": row["q_t"],
                "beta": row["beta"],
                "source_page": row.get("source_page"),
            },
        )
    categories = {c.symbol: c for c in HazardCategory.objects.all()}
    toxic = {g["cas"]: g["beta"] for g in read("toxic_gases.json")}
    names = []
    for row in read("substances.json"):
        beta = next((toxic[c] for c in row["cas"] if c in toxic), None)
        Substance.objects.update_or_create(
            name=row["name"],
            defaults={
                "seq": row.get("seq"),
                "aliases": row.get("aliases", []),
                "cas_numbers": row.get("cas", []),
                "q_t": row["q_t"],
                "category": categories.get(row["category"]),
                "toxic_gas_beta": beta,
                "note": row.get("note", ""),
                "source_page": row.get("source_page"),
            },
        )
        names.append(row["name"])
    AlphaBand.objects.all().delete()
    AlphaBand.objects.bulk_create(
        AlphaBand(min_people=r["min_people"], max_people=r["max_people"], alpha=r["alpha"], label=r.get("label", ""))
        for r in read("alpha.json")
    )
    for row in read("levels.json"):
        HazardLevel.objects.update_or_create(level=row["level"], defaults={"name": row["name"], "min_r": row["min_r"]})
    return {"categories": len(categories), "substances": len(names), "toxic_gases": len(toxic)}


def overview_section(enterprise, user) -> list[dict]:
    """Hazard sources of an enterprise for its one-screen page."""
    return [
        {
            "id": h.pk,
            "code": h.code,
            "name": h.name,
            "is_major": h.is_major,
            "level": h.level,
            "R": float(h.r_value),
            "S": float(h.s_value),
            "filing_status": h.get_filing_status_display(),
        }
        for h in HazardSource.objects.active().filter(enterprise=enterprise).order_by("level", "code")
    ]


def with_best_level(enterprises):
    """Annotate enterprises with ``hazard_level``: the highest grade (lowest number) of their major sources."""
    from django.db.models import OuterRef, Subquery

    best = HazardSource.objects.major().filter(enterprise=OuterRef("pk")).order_by("level").values("level")[:1]
    return enterprises.annotate(hazard_level=Subquery(best))
