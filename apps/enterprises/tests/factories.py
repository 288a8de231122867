from django.contrib.gis.geos import Point

from apps.accounts.models import Organisation, OrganisationKind
from apps.accounts.tests.factories import make_uscc, region
from apps.enterprises.models import Enterprise, Industry


def enterprise(region_code: str, name: str | None = None, industries=("hazardous_chemicals",), **kwargs) -> Enterprise:
    """An enterprise registered in ``region_code`` (a county or park), located at its seat."""
    r = region(region_code)
    uscc_region = r.parent.code if r.kind == "park" else r.code
    org = Organisation.objects.create(
        name=name or f"{r.name}测试化工有限公司{make_uscc(uscc_region)[-4:]}",
        kind=OrganisationKind.ENTERPRISE,
        region=r,
        uscc=make_uscc(uscc_region),
    )
    ent = Enterprise.objects.create(
        organisation=org,
        location=kwargs.pop("location", Point(r.seat.x, r.seat.y)),
        address=f"{r.name}测试路1号",
        **kwargs,
    )
    ent.industries.set(Industry.objects.filter(code__in=industries))
    return ent
