"""Factories for organisations and users on the real Shandong regions (loaded per test database)."""

import itertools

import factory

from apps.accounts.models import Organisation, OrganisationKind, RegulatorLevel, Role, User
from apps.accounts.validators import USCC_CHARSET, uscc_check_character
from apps.regions.models import Region

PASSWORD = "Test-pass-2026"
_serial = itertools.count(1)


def make_uscc(region_code: str) -> str:
    """A valid, unique unified social credit code registered in ``region_code``."""
    n = next(_serial)
    body = "".join(USCC_CHARSET[(n // 31**i) % 31] for i in range(9))[::-1]
    first17 = f"91{region_code[:6]}{body}"
    return first17 + uscc_check_character(first17)


def region(code: str) -> Region:
    return Region.objects.get(code=code)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"测试机构{n}")
    kind = OrganisationKind.REGULATOR
    level = RegulatorLevel.CITY
    region = factory.LazyFunction(lambda: region("370100"))


def regulator(code: str, **kwargs) -> Organisation:
    r = region(code)
    return OrganisationFactory(
        name=f"{r.name}应急管理局", kind=OrganisationKind.REGULATOR, level=r.kind, region=r, **kwargs
    )


def user_with_role(role_code: str, organisation=None, **kwargs) -> User:
    user = User.objects.create_user(
        username=kwargs.pop("username", f"{role_code}-{next(_serial)}"),
        password=PASSWORD,
        organisation=organisation,
        **kwargs,
    )
    user.groups.set([Role.objects.get(code=role_code).group])
    return user
