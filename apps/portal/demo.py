"""A demo province (演示数据) on the loaded Shandong regions: regulators at every level, 200 enterprises
across the seven supervised industries, and one login per role. Every enterprise comes with its base
information and special information (专项信息), facilities typed by the kinds of its industries, monitoring
points from fixtures/facilities/point_templates.json, major hazard sources graded by GB 18218 (hazardous
chemicals, steel gas holders, LPG at a few gas stations), cameras with provincial GB/T 28181 codes and, when
connected, a gateway. About ten enterprises are left with gaps for the base-data quality view.

Everything is deterministic (seeded ``random.Random``; a plant's generator is seeded by its enterprise's
USCC) and matched on natural keys, so building it again creates nothing: regulators by (kind, level,
region), other organisations and enterprises by USCC, users by username, facilities, points and hazard
sources by (enterprise, code), cameras by code, gateways by id; base information is filled in once, while an
enterprise has no provincial code. Gateway secrets alone are random, and kept only encrypted. Used by
``manage.py seed_demo`` and by tests that want a populated platform.

Last, risk (风险分级): a handful of enterprises record self-assessments (one with a one-vote-red finding)
and management indicators through the risk services, every enterprise is graded, and the demo enterprise's
own records and incidents raise its level, so it has an open warning (预警) — once; a later run only
regrades.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import secrets
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.gis.geos import Point
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from apps.accounts.models import Organisation, OrganisationKind, RegulatorLevel, Role, User
from apps.accounts.roles import ROLE_DEFINITIONS
from apps.accounts.validators import USCC_CHARSET, uscc_check_character, uscc_error
from apps.core import secrets as secret_store
from apps.core.attributes import validate_attributes
from apps.core.exceptions import DomainError
from apps.enterprises.models import Enterprise, Industry, OperatingStatus, Shutdown
from apps.facilities.models import Facility, FacilityKind
from apps.hazards.models import AlphaBand, FilingStatus, HazardSource, HazardSourceSubstance, Substance
from apps.hazards.services import assess, term_for
from apps.monitoring.models import Gateway, MeasurementKind, MonitoringPoint
from apps.regions.models import Region, RegionKind
from apps.video.models import Camera

DEMO_PASSWORD = "Anquan@2026"
PROVINCE_CODE = "370000"
SEED = 20260101
ENTERPRISE_COUNT = 200

# The enterprise every ent_* login belongs to, and the one in Qingdao for cross-enterprise checks.
DEMO_ENTERPRISE_NAME = "济南安泰化工有限公司"
DEMO_ENTERPRISE_REGION = "370112"  # 历城区
DEMO_ENTERPRISE_USCC = "91370112MA3AT2026" + uscc_check_character("91370112MA3AT2026")
QINGDAO_ENTERPRISE_NAME = "青岛海岳化工有限公司"
QINGDAO_ENTERPRISE_REGION = "370211"  # 黄岛区
QINGDAO_ENTERPRISE_USCC = "91370211MA3QD2026" + uscc_check_character("91370211MA3QD2026")
DEMO_PARK_CODE = "370114P01"  # 济南刁镇化工产业园: the park_staff login's park
# Base information of the two fixed enterprises that the demo logins rely on.
FIXED_DETAILS = {
    DEMO_ENTERPRISE_USCC: {
        "principal": "何安泰",
        "principal_phone": "13806310102",
        "hazchem_category": "production",
        "monitoring_connected": True,
    },
    QINGDAO_ENTERPRISE_USCC: {"monitoring_connected": True},
}

# (name, region code, first 17 characters of the USCC); '11' is an organ of state, '91' a company.
COMMITTEE_MEMBER = ("山东省公安厅", PROVINCE_CODE, "11370000267170551")
SERVICE_PROVIDER = ("山东鲁安安全评价有限公司", "370102", "91370102MA3PJ2026")
RESCUE_TEAM = ("淄博齐鲁应急救援服务有限公司", "370305", "91370305MA3RT2026")

# Enterprises per primary industry (sums to ENTERPRISE_COUNT); the two fixed enterprises are chemical.
INDUSTRY_QUOTAS = {
    "hazardous_chemicals": 70,
    "dust_explosion": 40,
    "steel": 15,
    "aluminium_casting": 10,
    "coal": 10,
    "fireworks": 15,
    "gas_station": 40,
}
PARK_SHARE = 0.4  # of the hazardous-chemical enterprises sit in a chemical park
# Chance that an enterprise of the key industry also belongs to the second one.
SECOND_INDUSTRY = {
    "hazardous_chemicals": ("dust_explosion", 0.08),
    "steel": ("dust_explosion", 0.3),
    "aluminium_casting": ("dust_explosion", 0.4),
    "gas_station": ("hazardous_chemicals", 0.1),
}
SUSPENDED_SHARE = 0.06

# Where each industry is: weights per city, or explicit county lists.
CITY_WEIGHTS = {
    "hazardous_chemicals": {
        "370300": 10, "370500": 10, "370700": 8, "371600": 7, "370600": 5, "371700": 5, "370800": 4, "370200": 4,
        "370100": 4, "371300": 4, "371400": 3, "371500": 3, "370900": 2, "370400": 2, "371100": 2, "371000": 1,
    },
    "dust_explosion": {
        "371300": 8, "370700": 6, "371700": 6, "370200": 4, "371400": 4, "371500": 4, "370800": 3, "370100": 3,
        "371600": 3, "370600": 3, "370300": 3, "370900": 2, "370400": 2, "371100": 2, "371000": 2, "370500": 1,
    },
}  # fmt: skip
COUNTY_CHOICES = {
    # 莱芜、钢城、岚山、罗庄、张店、临清
    "steel": ["370116", "370117", "371103", "371311", "370303", "371581"],
    # 邹平、博兴、龙口、茌平、临朐
    "aluminium_casting": ["371681", "371625", "370681", "371503", "370724"],
    # coal regions: 济宁、枣庄、泰安、菏泽、临沂、淄博
    "coal": [
        "370883", "370812", "370826", "370830", "370832", "370481", "370406", "370982", "370983",
        "371724", "371725", "371722", "371325", "371324", "370302", "370304",
    ],
}  # fmt: skip

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁宋谢唐韩曹许邓冯曾程蔡彭潘袁于董孔崔田任姜范"
GIVEN_NAMES = [
    "伟", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞", "平", "刚", "丽", "敏", "静", "鹏",
    "斌", "宁", "凯", "波", "辉", "峰", "东", "建国", "建华", "志强", "海燕", "秀英", "桂英", "玉兰", "立新", "红梅", "文静",
    "国庆", "春生", "金龙", "振华", "晓东", "德胜", "学军", "长青", "爱民", "俊杰", "永刚", "宏伟",
]  # fmt: skip
BRAND_HEADS = "鲁华金恒鑫天瑞宏汇永泰昌隆盛润博嘉正信德齐岱海东方"
BRAND_TAILS = "兴泰源达丰盛通成诚利和安顺鼎凯晟辉阳祥"
ROADS = [
    "经十路", "工业路", "人民路", "建设路", "解放路", "黄河路", "泰山路", "和平路", "胜利路", "新华路", "长江路", "开发区大道", "化工路",
    "滨河路", "文化路", "北京路", "青年路", "振兴路", "幸福街", "东风路", "园区大道", "创业路", "昆仑路", "南环路", "北外环路",
]  # fmt: skip
MOBILE_PREFIXES = [
    f"1{n}" for n in (30, 31, 32, 35, 36, 37, 38, 39, 50, 51, 52, 55, 58, 59, 66, 76, 77, 78, 80, 86, 88)
]

# (username, role code, organisation key, real name, mobile)
DEMO_USERS = (
    ("province_admin", "regulator_admin", "province", "王建国", "13905310001"),
    ("jinan_admin", "regulator_admin", "city:370100", "李志强", "13905310002"),
    ("jinan_staff", "regulator_staff", "city:370100", "张海燕", "13905310003"),
    ("lixia_staff", "regulator_staff", "county:370102", "刘晓东", "13905310004"),
    ("jinan_inspector", "law_enforcement_inspector", "city:370100", "陈振华", "13905310005"),
    ("qingdao_staff", "regulator_staff", "city:370200", "杨文静", "13905320006"),
    ("park_staff", "regulator_staff", f"park:{DEMO_PARK_CODE}", "赵德胜", "13905310007"),
    ("committee_staff", "committee_member_staff", "committee", "周国庆", "13905310008"),
    ("agency_staff", "service_provider_staff", "service", "吴俊杰", "13905310009"),
    ("rescue_member", "rescue_team_member", "rescue", "孙永刚", "13905330010"),
    ("ops", "ops", None, "马运维", "13905310011"),
    ("ent_admin", "enterprise_admin", "enterprise", "郭立新", "13806310101"),
    ("ent_principal", "enterprise_principal", "enterprise", "何安泰", "13806310102"),
    ("ent_safety", "enterprise_safety_manager", "enterprise", "高红梅", "13806310103"),
    ("ent_operator", "enterprise_operator", "enterprise", "林春生", "13806310104"),
    ("ent_post", "post_holder", "enterprise", "罗金龙", "13806310105"),
    ("ent_inspector", "enterprise_inspector", "enterprise", "郑学军", "13806310106"),
    ("ent_rectifier", "rectification_person", "enterprise", "梁长青", "13806310107"),
    ("ent_acceptor", "acceptance_person", "enterprise", "宋爱民", "13806310108"),
    ("ent_duty", "control_room_duty_officer", "enterprise", "谢宏伟", "13806310109"),
    ("ent_guardian", "work_guardian", "enterprise", "唐秀英", "13806310110"),
    ("ent_contractor", "contractor_staff", "enterprise", "韩玉兰", "13806310111"),
    ("ent_visitor", "visitor", "enterprise", "曹桂英", "13806310112"),
    ("qingdao_ent_admin", "enterprise_admin", "qingdao_enterprise", "许海涛", "13806320113"),
)


class ReferenceDataMissing(DomainError):
    default_message = "Reference data is not loaded: run `manage.py load_reference_data` first."


@dataclass
class EnterprisePlan:
    name: str
    uscc: str
    region: Region
    industries: list[str]
    address: str = ""
    legal_representative: str = ""
    safety_manager: str = ""
    safety_manager_phone: str = ""
    status: str = OperatingStatus.OPERATING


# --- small generators ---------------------------------------------------------------------------


def organisation_code(rng: random.Random) -> str:
    """Nine characters of an organisation code: 'MA' + 7 characters for post-2015 companies, else
    eight digits and their GB 11714 check character."""
    if rng.random() < 0.7:
        return "MA" + "".join(rng.choice(USCC_CHARSET) for _ in range(7))
    return gb11714("".join(str(rng.randrange(10)) for _ in range(8)))


def gb11714(digits8: str) -> str:
    """Eight digits of an organisation code and their GB 11714 check character."""
    check = 11 - sum(int(d) * w for d, w in zip(digits8, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    return digits8 + {10: "X", 11: "0"}.get(check, str(check))


def make_uscc(prefix8: str, body9: str) -> str:
    first17 = prefix8 + body9
    return first17 + uscc_check_character(first17)


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + "".join(str(rng.randrange(10)) for _ in range(8))


def short_city(name: str) -> str:
    return name.removesuffix("市")


def short_county(name: str) -> str:
    return name[:-1] if len(name) > 2 and name[-1] in "区县市" else name


def point_in(geometry, rng: random.Random, tries: int = 20000) -> Point:
    """A point strictly inside ``geometry``: random points in its extent until one falls inside."""
    prepared = geometry.prepared
    xmin, ymin, xmax, ymax = geometry.extent
    for _ in range(tries):
        point = Point(round(rng.uniform(xmin, xmax), 6), round(rng.uniform(ymin, ymax), 6), srid=4326)
        if prepared.contains(point):
            return point
    point = geometry.point_on_surface
    point.srid = 4326
    return point


def regulator_name(region: Region, regions_by_id: dict) -> str:
    if region.kind == RegionKind.PROVINCE:
        return f"{region.name}应急管理厅"
    if region.kind == RegionKind.PARK:
        return f"{region.name}管理委员会安全监管局"
    if region.kind == RegionKind.COUNTY and region.name.endswith("区"):
        # City districts carry the city's name (济南市历下区应急管理局); 市中区 exists twice.
        return f"{regions_by_id[region.parent_id].name}{region.name}应急管理局"
    return f"{region.name}应急管理局"


# --- the plan -----------------------------------------------------------------------------------


class _Geography:
    """The loaded regions, indexed the ways the planner needs."""

    def __init__(self):
        regions = list(Region.objects.all())
        self.by_id = {r.pk: r for r in regions}
        self.by_code = {r.code: r for r in regions}
        self.cities = [r for r in regions if r.kind == RegionKind.CITY]
        self.counties_of = {}
        for r in regions:
            if r.kind == RegionKind.COUNTY and self._usable(r):
                self.counties_of.setdefault(r.parent_id, []).append(r)
        # A park whose approximate disc falls outside its county's cell has an empty boundary.
        self.parks = [r for r in regions if r.kind == RegionKind.PARK and self._usable(r)]

    @staticmethod
    def _usable(region) -> bool:
        return region.geometry is not None and not region.geometry.empty

    def county_of(self, region: Region) -> Region:
        """The county a county or park lies in (a park directly under a city: the city)."""
        return self.by_id[region.parent_id] if region.kind == RegionKind.PARK else region

    def city_of(self, region: Region) -> Region:
        while region.kind not in (RegionKind.CITY, RegionKind.PROVINCE):
            region = self.by_id[region.parent_id]
        return region


def _name_for(industry: str, region: Region, geo: _Geography, rng: random.Random, road: str) -> str:
    county = geo.county_of(region)
    city, town = short_city(geo.city_of(region).name), short_county(county.name)
    brand = rng.choice(BRAND_HEADS) + rng.choice(BRAND_TAILS)
    place = rng.choice(["山东", city, city, town])
    if industry == "hazardous_chemicals":
        trade = rng.choice(["化工", "化工", "石化", "精细化工", "化学", "新材料", "医药化工", "化肥", "气体"])
        return f"{place}{brand}{trade}{rng.choice(['有限公司', '有限公司', '股份有限公司', '科技有限公司'])}"
    if industry == "dust_explosion":
        trade = rng.choice(
            ["木业", "家具", "面粉", "饲料", "粮油食品", "金属制品", "铝制品", "淀粉", "纺织", "塑料制品"]
        )
        return f"{place}{brand}{trade}有限公司"
    if industry == "steel":
        return f"{place}{brand}{rng.choice(['钢铁', '特钢', '钢管', '钢铁集团'])}有限公司"
    if industry == "aluminium_casting":
        return f"{place}{brand}{rng.choice(['铝业', '铝材', '铝合金', '铝型材'])}有限公司"
    if industry == "coal":
        if rng.random() < 0.6:
            return f"{city}{brand}煤矿有限责任公司"
        return f"山东{brand}能源有限公司{town}煤矿"
    if industry == "fireworks":
        return f"{town}{brand}烟花爆竹{rng.choice(['批发', '经营', '销售'])}有限公司"
    # gas_station
    roll = rng.random()
    if roll < 0.45:
        return f"中国石化销售股份有限公司山东{city}{town}{road}加油站"
    if roll < 0.8:
        return f"中国石油天然气股份有限公司山东{city}销售分公司{town}{road}加油站"
    return f"{town}{brand}石油有限公司{road}加油站"


def _pick_regions(geo: _Geography, rng: random.Random) -> list[tuple[str, Region]]:
    """(primary industry, region) for every generated enterprise."""
    picks: list[tuple[str, Region]] = []
    quotas = dict(INDUSTRY_QUOTAS)
    quotas["hazardous_chemicals"] -= 2  # the two fixed enterprises

    def county_in(city_code):
        return rng.choice(geo.counties_of[geo.by_code[city_code].pk])

    def weighted_county(weights):
        codes = [c for c in weights if geo.by_code.get(c) and geo.by_code[c].pk in geo.counties_of]
        return county_in(rng.choices(codes, weights=[weights[c] for c in codes])[0])

    chemicals = quotas.pop("hazardous_chemicals")
    in_parks = round(INDUSTRY_QUOTAS["hazardous_chemicals"] * PARK_SHARE) if geo.parks else 0
    picks += [("hazardous_chemicals", geo.parks[i % len(geo.parks)]) for i in range(in_parks)]
    picks += [
        ("hazardous_chemicals", weighted_county(CITY_WEIGHTS["hazardous_chemicals"]))
        for _ in range(chemicals - in_parks)
    ]
    picks += [
        ("dust_explosion", weighted_county(CITY_WEIGHTS["dust_explosion"])) for _ in range(quotas["dust_explosion"])
    ]
    for industry in ("steel", "aluminium_casting"):
        choices = [geo.by_code[c] for c in COUNTY_CHOICES[industry] if c in geo.by_code]
        picks += [(industry, rng.choice(choices)) for _ in range(quotas[industry])]
    coal = [geo.by_code[c] for c in COUNTY_CHOICES["coal"] if c in geo.by_code]
    picks += [("coal", county) for county in rng.sample(coal, min(quotas["coal"], len(coal)))]
    cities = [c for c in geo.cities if c.pk in geo.counties_of]
    picks += [("fireworks", rng.choice(geo.counties_of[rng.choice(cities).pk])) for _ in range(quotas["fireworks"])]
    # Gas stations: one in every city first, the rest anywhere.
    stations = [("gas_station", rng.choice(geo.counties_of[c.pk])) for c in cities[: quotas["gas_station"]]]
    all_counties = [c for counties in geo.counties_of.values() for c in counties]
    stations += [("gas_station", rng.choice(all_counties)) for _ in range(quotas["gas_station"] - len(stations))]
    return picks + stations


def plan_enterprises(geo: _Geography) -> list[EnterprisePlan]:
    """The 200 demo enterprises, fixed ones first; identical on every call for the same regions."""
    rng = random.Random(SEED)
    fixed = [
        EnterprisePlan(
            DEMO_ENTERPRISE_NAME,
            DEMO_ENTERPRISE_USCC,
            geo.by_code[DEMO_ENTERPRISE_REGION],
            ["hazardous_chemicals"],
            address="山东省济南市历城区工业北路188号",
            legal_representative="何安泰",
            safety_manager="高红梅",
            safety_manager_phone="13806310103",
        ),
        EnterprisePlan(
            QINGDAO_ENTERPRISE_NAME,
            QINGDAO_ENTERPRISE_USCC,
            geo.by_code[QINGDAO_ENTERPRISE_REGION],
            ["hazardous_chemicals"],
            address="山东省青岛市黄岛区泊里镇港区大道66号",
            legal_representative="许明",
            safety_manager="许海涛",
            safety_manager_phone="13806320113",
        ),
    ]
    names = {p.name for p in fixed}
    usccs = {p.uscc for p in fixed}
    plans = list(fixed)
    for number, (industry, region) in enumerate(_pick_regions(geo, rng), start=1):
        # Each enterprise draws from its own generator, its USCC first: the identity (the natural key
        # a second run matches on) depends only on its number and county, not on the name lists.
        own = random.Random(f"{SEED}:{number}")
        county = geo.county_of(region)
        uscc = make_uscc("91" + county.code[:6], organisation_code(own))
        while uscc in usccs:
            uscc = make_uscc("91" + county.code[:6], organisation_code(own))
        usccs.add(uscc)
        road = own.choice(ROADS)
        name = _name_for(industry, region, geo, own, road)
        while name in names:
            road = own.choice(ROADS)
            name = _name_for(industry, region, geo, own, road)
        names.add(name)
        city = geo.city_of(region)
        street = f"{region.name}{road}" if region.kind == RegionKind.PARK else road
        industries = [industry]
        second = SECOND_INDUSTRY.get(industry)
        if second and own.random() < second[1]:
            industries.append(second[0])
        plans.append(
            EnterprisePlan(
                name,
                uscc,
                region,
                industries,
                address=f"山东省{city.name}{county.name}{street}{own.randrange(1, 3000)}号",
                legal_representative=person_name(own),
                safety_manager=person_name(own),
                safety_manager_phone=mobile(own),
                status=OperatingStatus.SUSPENDED if own.random() < SUSPENDED_SHARE else OperatingStatus.OPERATING,
            )
        )
    return plans


# --- building -----------------------------------------------------------------------------------


def _ensure_roles() -> None:
    codes = {r.code for r in ROLE_DEFINITIONS}
    if set(Role.objects.filter(code__in=codes).values_list("code", flat=True)) != codes:
        from apps.accounts.roles import sync_roles

        sync_roles()


def _ensure_regulators(geo: _Geography) -> tuple[dict, int]:
    """(level, region code) → regulator for the province, every city, county and park."""
    wanted = [(RegulatorLevel.PROVINCE, geo.by_code[PROVINCE_CODE])]
    level_of = {
        RegionKind.CITY: RegulatorLevel.CITY,
        RegionKind.COUNTY: RegulatorLevel.COUNTY,
        RegionKind.PARK: RegulatorLevel.PARK,
    }
    for region in sorted(geo.by_code.values(), key=lambda r: (r.depth, r.code)):
        if region.kind in level_of:
            wanted.append((level_of[region.kind], region))
    existing = {
        (o.level, o.region_id): o
        for o in Organisation.objects.filter(kind=OrganisationKind.REGULATOR, region__in=[r for _, r in wanted])
    }
    missing = [
        Organisation(
            name=regulator_name(region, geo.by_id),
            kind=OrganisationKind.REGULATOR,
            level=level,
            region=region,
        )
        for level, region in wanted
        if (level, region.pk) not in existing
    ]
    for org in Organisation.objects.bulk_create(missing):
        existing[(org.level, org.region_id)] = org
    return {(str(level), geo.by_id[rid].code): org for (level, rid), org in existing.items()}, len(missing)


def _ensure_other_organisations(geo: _Geography) -> tuple[dict, int]:
    specs = {
        "committee": (OrganisationKind.COMMITTEE_MEMBER, *COMMITTEE_MEMBER),
        "service": (OrganisationKind.SERVICE_PROVIDER, *SERVICE_PROVIDER),
        "rescue": (OrganisationKind.RESCUE_TEAM, *RESCUE_TEAM),
    }
    usccs = {key: first17 + uscc_check_character(first17) for key, (*_, first17) in specs.items()}
    existing = {o.uscc: o for o in Organisation.objects.filter(uscc__in=usccs.values())}
    result, created = {}, 0
    for key, (kind, name, code, _) in specs.items():
        uscc = usccs[key]
        org = existing.get(uscc)
        if org is None:
            org = Organisation.objects.create(name=name, kind=kind, region=geo.by_code[code], uscc=uscc)
            created += 1
        result[key] = org
    return result, created


def _ensure_enterprises(geo: _Geography, plans: list[EnterprisePlan], details: dict) -> tuple[dict, int]:
    """USCC → organisation for every planned enterprise; creates the missing ones (with ``details[uscc]``,
    their base information)."""
    for plan in plans:
        error = uscc_error(plan.uscc)
        if error:  # a bug in the generator, never in the data
            raise AssertionError(f"{plan.name}: {plan.uscc}: {error}")
    organisations = {o.uscc: o for o in Organisation.objects.filter(uscc__in=[p.uscc for p in plans])}
    new_plans = [p for p in plans if p.uscc not in organisations]
    created = Organisation.objects.bulk_create(
        [Organisation(name=p.name, kind=OrganisationKind.ENTERPRISE, region=p.region, uscc=p.uscc) for p in new_plans]
    )
    organisations.update({o.uscc: o for o in created})
    have_record = set(
        Enterprise.objects.filter(organisation__in=list(organisations.values())).values_list("pk", flat=True)
    )
    new_records = [p for p in plans if organisations[p.uscc].pk not in have_record]
    industries = {i.code: i.pk for i in Industry.objects.all()}
    Enterprise.objects.bulk_create(
        [
            Enterprise(
                organisation=organisations[p.uscc],
                address=p.address,
                # Seeded by the USCC so the identity never depends on the boundaries' shape.
                location=point_in(p.region.geometry, random.Random(p.uscc)),
                legal_representative=p.legal_representative,
                safety_manager=p.safety_manager,
                safety_manager_phone=p.safety_manager_phone,
                status=p.status,
                **{name: details[p.uscc][name] for name in DETAIL_FIELDS},
            )
            for p in new_records
        ]
    )
    through = Enterprise.industries.through
    through.objects.bulk_create(
        [
            through(enterprise_id=organisations[p.uscc].pk, industry_id=industries[code])
            for p in new_records
            for code in p.industries
        ],
        ignore_conflicts=True,
    )
    return organisations, len(new_records)


def _ensure_users(organisations: dict, reset_passwords: bool) -> tuple[list, int]:
    roles = {r.code: r for r in Role.objects.select_related("group")}
    existing = {u.username: u for u in User.objects.filter(username__in=[u[0] for u in DEMO_USERS])}
    encoded = make_password(DEMO_PASSWORD) if reset_passwords or len(existing) < len(DEMO_USERS) else None
    memberships = {}
    for user_id, group_id in User.groups.through.objects.filter(user__in=list(existing.values())).values_list(
        "user_id", "group_id"
    ):
        memberships.setdefault(user_id, set()).add(group_id)
    logins, created = [], 0
    for username, role_code, org_key, real_name, phone in DEMO_USERS:
        organisation = organisations[org_key] if org_key else None
        group = roles[role_code].group
        user = existing.get(username)
        if user is None:
            # One PBKDF2 hash for all demo logins: they share a published password anyway, and
            # hashing it two dozen times would dominate the run.
            user = User(
                username=username,
                real_name=real_name,
                phone=phone,
                organisation=organisation,
                is_staff=role_code == "ops",
                password=encoded,
            )
            user.save()
            user.groups.set([group])
            created += 1
        else:
            changed = []
            if user.organisation_id != (organisation.pk if organisation else None):
                user.organisation = organisation
                changed.append("organisation")
            if role_code == "ops" and not user.is_staff:
                user.is_staff = True
                changed.append("is_staff")
            if reset_passwords:
                user.password = encoded
                changed.append("password")
            if changed:
                user.save(update_fields=changed)
            if memberships.get(user.pk) != {group.pk}:
                user.groups.set([group])
        logins.append((username, role_code, organisation.name if organisation else "—"))
    return logins, created


# --- plants: tables -----------------------------------------------------------------------------
# What every demo enterprise has besides its identity: base information, facilities (设备设施) with
# attributes built from each kind's schema, monitoring points from fixtures/facilities/point_templates.json,
# major hazard sources (重大危险源) graded by GB 18218, a gateway and cameras. Each plant is planned from a
# generator seeded by the enterprise's USCC, so it never depends on the other enterprises.

POINT_TEMPLATES = Path(settings.BASE_DIR) / "fixtures" / "facilities" / "point_templates.json"
POINTS_PER_ENTERPRISE = (20, 80)
MANDATORY_BUDGET = 62  # optional facilities join while the mandatory points stay within this
OPTIONAL_POINT_SHARE = 0.5  # of the templates' optional points
CONNECTED_SHARE = 0.85
INCOMPLETE_COUNT = 10  # enterprises left with gaps, for the base-data quality view
SHUTDOWN_COUNT = 3  # suspended enterprises with a shutdown in force
CAMERAS_PER_ENTERPRISE = (2, 6)

# Facility codes: prefix + serial within the enterprise (TF01, TK03, …).
KIND_PREFIXES = {
    "production_unit": "PU", "hazardous_process_unit": "HP", "tank_farm": "TF", "storage_tank": "TK",
    "warehouse": "WH", "loading_rack": "LR", "pump_room": "PR", "control_room": "CR", "gas_detection_system": "GD",
    "dust_workshop": "DW", "dust_removal_system": "DS", "dust_collector": "DC", "dust_bin": "DB",
    "explosion_protection_device": "EP",
    "blast_furnace": "BF", "converter": "BOF", "electric_arc_furnace": "EAF", "refining_furnace": "RF",
    "continuous_caster": "CCM", "molten_metal_crane": "MC", "molten_metal_ladle": "LD",
    "emergency_discharge_facility": "ED", "gas_system": "GS", "gas_holder": "GH", "gas_isolation_device": "GV",
    "water_seal_drainer": "WSD", "co_detector": "CO",
    "melting_furnace": "MF", "holding_furnace": "HF", "casting_well": "CW", "wire_rope": "WR",
    "safety_monitoring_system": "SM", "personnel_positioning_system": "PP", "working_face": "WF",
    "heading_face": "HD", "power_supply_system": "PS", "substation": "SS", "hoist": "HS",
    "gas_drainage_system": "GDS", "gas_drainage_pump": "GDP", "drainage_system": "DR", "water_pump": "WP",
    "sump": "SP", "ventilation_system": "VS", "main_fan": "MFN", "local_fan": "LF", "air_door": "AD",
    "air_compressor": "AC", "belt_conveyor": "BC", "coal_bunker": "CB", "man_riding_device": "MR",
    "auxiliary_transport_vehicle": "AT", "rock_pressure_monitoring_system": "RP", "roof_monitoring_system": "RM",
    "hydrological_monitoring_system": "HY", "output_scale": "OS",
    "office_area": "OA", "duty_room": "DU", "hazardous_production_area": "PA", "workshop": "WK",
    "transfer_warehouse": "TW", "general_warehouse_area": "GA", "general_warehouse": "GW",
    "fuel_tank": "OT", "refuelling_area": "RA", "dispenser": "DP", "unloading_area": "UA",
}  # fmt: skip

# ISA-style letters of a point's bit number (位号), by what it measures: TI-1001, PI-2003, LI-3001.
ISA_LETTERS = {
    "temperature": "TI", "cooling_water_temperature": "TI", "molten_metal_temperature": "TI",
    "pressure": "PI", "pressure_kpa": "PI", "cooling_water_pressure": "PI", "negative_pressure": "PI",
    "atmospheric_pressure": "PI", "support_resistance": "PI", "pressure_difference": "PDI",
    "liquid_level": "LI", "water_level": "LI", "molten_metal_level": "LI", "material_level": "LI",
    "holder_position": "LI", "flow": "FI", "cooling_water_flow": "FI", "air_volume": "FI", "water_inflow": "FI",
    "flow_difference": "FDI", "cumulative_flow": "FQI", "combustible_gas": "AI", "toxic_gas": "AI",
    "carbon_monoxide": "AI", "oxygen": "AI", "methane": "AI", "dust_concentration": "AI", "humidity": "MI",
    "wind_speed": "SI", "rotational_speed": "SI", "linear_speed": "SI", "casting_speed": "SI", "vibration": "VI",
    "current": "II", "voltage": "EI", "power": "JI", "power_factor": "JI", "energy": "JQI",
    "microseismic_energy": "JI", "load": "WI", "tension": "WI", "anchor_force": "WI", "charge_quantity": "WI",
    "output_rate": "WI", "cumulative_output": "WQI", "casting_length": "GI", "roof_separation": "GI",
    "blade_angle": "ZI", "valve_opening": "ZI", "static_release_time": "KI", "person_count": "QI",
    "switch": "XS", "fault": "XA", "valve_state": "ZS", "interlock_action": "UZ", "protection_signal": "XA",
    "feed_status": "XS", "smoke": "XA", "static_grounding": "XS", "overflow": "LSH", "leak_detection": "LSH",
    "spark_detection": "BS", "on_post": "XS",
}  # fmt: skip
# Expected reporting period (s): gas detection and fast process values often, totals and counts rarely.
FAST_KINDS = {
    "combustible_gas", "toxic_gas", "carbon_monoxide", "oxygen", "methane", "molten_metal_level", "casting_speed",
    "switch", "fault", "valve_state", "interlock_action", "protection_signal", "feed_status", "smoke",
    "static_grounding", "overflow", "leak_detection", "spark_detection", "on_post",
}  # fmt: skip
SLOW_KINDS = {
    "cumulative_flow", "energy", "cumulative_output", "microseismic_energy", "person_count", "charge_quantity",
    "output_rate", "roof_separation", "anchor_force", "support_resistance", "atmospheric_pressure",
    "static_release_time", "casting_length", "power_factor",
}  # fmt: skip
MEDIUM_KINDS = {
    "pressure", "pressure_kpa", "cooling_water_pressure", "negative_pressure", "pressure_difference", "liquid_level",
    "water_level", "material_level", "holder_position", "flow", "cooling_water_flow", "flow_difference",
    "air_volume", "water_inflow", "current", "voltage", "power", "load", "tension", "linear_speed", "wind_speed",
    "rotational_speed", "vibration", "blade_angle", "valve_opening", "dust_concentration",
}  # fmt: skip

# One copy of a template point per position given by an attribute (a grounding clamp per loading bay).
REPLICATED_POINTS = {
    ("loading_rack", "static_grounding"): ("positions", "车位"),
    ("loading_rack", "overflow"): ("positions", "车位"),
    ("unloading_area", "static_grounding"): ("unloading_points", "卸油口"),
}

# Chemicals the demo stores: label → (GB 18218 table-1 name, density t/m³, how it is kept, fire class of a
# tank farm (GB 50160) or of a warehouse (GB 50016), toxic gas a detector looks for: (gas, high, high-high ppm)).
CHEMICALS = {
    "甲醇": ("甲醇", 0.79, "liquid", "jia_b", None),
    "苯": ("苯", 0.88, "liquid", "jia_b", ("C6H6", 2, 4)),
    "甲苯": ("甲苯", 0.87, "liquid", "jia_b", None),
    "汽油": ("汽油", 0.74, "liquid", "jia_b", None),
    "乙醇": ("乙醇", 0.79, "liquid", "jia_b", None),
    "丙酮": ("丙酮", 0.79, "liquid", "jia_b", None),
    "乙酸乙酯": ("乙酸乙酯", 0.90, "liquid", "jia_b", None),
    "正己烷": ("正己烷", 0.66, "liquid", "jia_b", None),
    "苯乙烯": ("苯乙烯", 0.91, "liquid", "yi_a", None),
    "液氨": ("氨", 0.61, "liquefied", "yi_a", ("NH3", 25, 50)),
    "液氯": ("氯", 1.47, "liquefied", None, ("Cl2", 1, 2)),
    "液化石油气": ("液化石油气", 0.55, "liquefied", "jia_a", None),
    "硝酸铵（含可燃物≤0.2%）": ("硝酸铵（含可燃物≤0.2%）", None, "solid", "jia", None),
    "氢": ("氢", None, "cylinder", "jia", None),
}
TOXIC_RANGES = {"C6H6": 20, "NH3": 100, "Cl2": 10}
# 重点监管的危险化学品 among them.
KEY_CHEMICALS = {"甲醇", "苯", "甲苯", "汽油", "液氨", "液氯", "液化石油气", "硝酸铵（含可燃物≤0.2%）", "氢", "苯乙烯"}
WAREHOUSE_FIRE_CLASS = {"液氯": "yi"}  # 助燃气体; everything else the demo keeps in warehouses is 甲类


@dataclass(frozen=True)
class Trade:
    word: str  # in the enterprise's name
    farms: tuple  # substance sets of a tank farm
    goods: tuple  # substance sets of the warehouse
    products: tuple  # (product, 重点监管危险化工工艺 its unit may run)


TRADES = (
    Trade("医药化工", (("甲醇", "乙醇"), ("丙酮", "乙酸乙酯"), ("甲苯", "正己烷")), (("乙酸乙酯", "丙酮"), ("甲醇",)),
          (("医药中间体", ("nitration", "diazotization", "hydrogenation")), ("原料药", ("hydrogenation", "amination")),
           ("头孢类中间体", ("amination", "oxidation")))),
    Trade("精细化工", (("甲苯",), ("甲醇", "甲苯"), ("丙酮", "乙酸乙酯"), ("苯",)), (("甲苯",), ("乙酸乙酯",)),
          (("染料中间体", ("sulfonation", "nitration", "diazotization", "azo")), ("增塑剂", ()),
           ("表面活性剂", ("sulfonation",)))),
    Trade("石化", (("汽油",), ("汽油", "苯"), ("液化石油气",), ("苯", "甲苯")), (("甲苯",),),
          (("常减压蒸馏", ()), ("催化裂化", ("cracking",)), ("芳烃抽提", ()), ("汽柴油加氢", ("hydrogenation",)),
           ("烷基化", ("alkylation",)))),
    Trade("化肥", (("液氨",),), (("硝酸铵（含可燃物≤0.2%）",),),
          (("合成氨", ("ammonia_synthesis", "new_coal_chemical")), ("尿素", ()), ("硝酸", ("oxidation",)))),
    Trade("气体", (("液氨",), ("液氯",), ("液化石油气",)), (("液氯",), ("氢",)),
          (("工业气体充装", ()), ("液氯充装", ()), ("氨水", ()))),
    Trade("新材料", (("苯乙烯", "甲苯"), ("甲醇",)), (("乙酸乙酯",),),
          (("聚苯乙烯", ("polymerization",)), ("ABS树脂", ("polymerization",)), ("聚甲醛", ("oxidation", "polymerization")))),
    Trade("化学", (("甲醇",), ("苯",), ("液氯",), ("甲苯",)), (("甲苯",), ("硝酸铵（含可燃物≤0.2%）",)),
          (("甲醛", ("oxidation",)), ("苯胺", ("nitration", "hydrogenation")), ("氯化苯", ("chlorination",)))),
    Trade("化工", (("甲醇",), ("液氯",), ("苯", "甲苯"), ("甲醇", "甲苯"), ("液氨",)),
          (("甲苯",), ("硝酸铵（含可燃物≤0.2%）",), ("乙酸乙酯",)),
          (("烧碱", ("chlor_alkali_electrolysis",)), ("聚氯乙烯", ("polymerization",)), ("甲醛", ("oxidation",)),
           ("苯胺", ("nitration", "hydrogenation")), ("环氧丙烷", ("chlorination", "peroxidation")))),
)  # fmt: skip

# Target grade of a planned hazard source (None: identified but not major), and R ranges per level.
FARM_LEVELS = {1: 6, 2: 14, 3: 24, 4: 38, None: 18}
WAREHOUSE_LEVELS = {2: 6, 3: 22, 4: 32, None: 40}
R_TARGETS = {1: (115, 240), 2: (55, 92), 3: (12, 45)}

# Dust: kinds and workshops by the trade in the name.
DUST_TRADES = {
    "木业": (("wood",), ("开料车间", "砂光车间", "木工车间")),
    "家具": (("wood",), ("砂光车间", "打磨车间", "开料车间")),
    "面粉": (("grain",), ("制粉车间", "清理车间", "打包车间")),
    "饲料": (("feed", "grain"), ("粉碎车间", "制粒车间", "配料车间")),
    "粮油食品": (("grain", "starch"), ("粉碎车间", "烘干车间", "包装车间")),
    "金属制品": (("metal",), ("抛光车间", "打磨车间", "抛丸车间")),
    "铝制品": (("metal",), ("抛光车间", "打磨车间", "喷砂车间")),
    "淀粉": (("starch",), ("干燥车间", "筛分车间", "包装车间")),
    "纺织": (("textile",), ("清花车间", "梳棉车间", "并条车间")),
    "塑料制品": (("plastic",), ("粉碎车间", "改性车间", "混料车间")),
}
SECONDARY_DUST = {
    "hazardous_chemicals": (("plastic", "other"), "粉体包装车间"),
    "steel": (("coal", "metal"), "高炉喷煤制粉车间"),
    "aluminium_casting": (("metal",), "铝灰处理车间"),
}
DRY_COLLECTORS = {"wood": ("bag", "cyclone"), "metal": ("cartridge", "bag"), "plastic": ("bag", "cartridge")}

# Coal: system manufacturers and models.
MONITORING_VENDORS = (
    ("天地（常州）自动化股份有限公司", "KJ95X"),
    ("重庆梅安森科技股份有限公司", "KJ73X"),
    ("煤炭科学技术研究院有限公司", "KJ90X"),
    ("北京瑞赛长城航空测控技术有限公司", "KJ2000X"),
)
POSITIONING_VENDORS = (
    ("天地（常州）自动化股份有限公司", "KJ1026"),
    ("北京华夏聚龙自动化股份公司", "KJ251A"),
    ("重庆梅安森科技股份有限公司", "KJ617"),
    ("光力科技股份有限公司", "KJ128A"),
)
PRESSURE_VENDORS = (("天地科技股份有限公司", "KJ216"), ("山东科技大学", "KJ616"), ("北京科技大学", "KJ21"))
SEAMS = ("3煤层", "3上煤层", "3下煤层", "16煤层", "17煤层")

# Numbers an attribute takes when a builder does not set it: (kind, key) → (low, high).
RANGES = {
    ("production_unit", "design_capacity_t_per_year"): (20000, 600000), ("warehouse", "area_m2"): (400, 3000),
    ("loading_rack", "positions"): (2, 4), ("pump_room", "pump_count"): (2, 8),
    ("gas_detection_system", "detector_count"): (24, 160), ("dust_workshop", "area_m2"): (400, 6000),
    ("dust_removal_system", "design_air_volume_m3h"): (8000, 80000), ("dust_removal_system", "fan_power_kw"): (15, 160),
    ("dust_collector", "design_air_volume_m3h"): (6000, 60000), ("dust_collector", "filter_area_m2"): (80, 1200),
    ("dust_collector", "water_tank_volume_m3"): (1, 8), ("dust_bin", "volume_m3"): (0.5, 6),
    ("dust_bin", "cleaning_interval_days"): (1, 7), ("explosion_protection_device", "activation_pressure_kpa"): (5, 15),
    ("electric_arc_furnace", "transformer_mva"): (40, 120), ("emergency_discharge_facility", "capacity_t"): (30, 200),
    ("gas_system", "pipeline_length_km"): (5, 60), ("gas_system", "booster_station_count"): (1, 4),
    ("gas_holder", "design_pressure_kpa"): (8, 15), ("gas_holder", "stroke_m"): (20, 60),
    ("gas_isolation_device", "nominal_diameter_mm"): (400, 2600), ("casting_well", "crystalliser_count"): (4, 48),
    ("casting_well", "max_casting_length_mm"): (6000, 9000), ("wire_rope", "diameter_mm"): (16, 28),
    ("safety_monitoring_system", "outstation_count"): (20, 80), ("safety_monitoring_system", "sensor_count"): (200, 900),
    ("personnel_positioning_system", "reader_count"): (40, 200),
    ("personnel_positioning_system", "card_count"): (800, 3500), ("working_face", "face_length_m"): (150, 280),
    ("working_face", "max_persons"): (20, 60), ("heading_face", "max_persons"): (8, 20),
    ("hoist", "rated_speed_m_s"): (5, 12), ("hoist", "rated_load_t"): (9, 30), ("hoist", "motor_power_kw"): (800, 3000),
    ("gas_drainage_system", "design_capacity_m3_min"): (150, 500),
    ("gas_drainage_pump", "rated_flow_m3_min"): (100, 300), ("gas_drainage_pump", "motor_power_kw"): (110, 400),
    ("water_pump", "rated_flow_m3h"): (280, 800), ("water_pump", "rated_head_m"): (300, 900),
    ("water_pump", "motor_power_kw"): (400, 1600), ("sump", "depth_m"): (4, 5.5),
    ("ventilation_system", "mine_negative_pressure_pa"): (1500, 2900),
    ("ventilation_system", "ventilation_resistance_pa"): (1200, 2800), ("local_fan", "rated_power_kw"): (30, 90),
    ("air_compressor", "rated_pressure_mpa"): (0.7, 0.8), ("air_compressor", "rated_flow_m3_min"): (20, 60),
    ("air_compressor", "motor_power_kw"): (110, 355), ("belt_conveyor", "belt_width_mm"): (800, 1400),
    ("belt_conveyor", "length_m"): (500, 3000), ("belt_conveyor", "rated_speed_m_s"): (3.15, 4.0),
    ("belt_conveyor", "motor_power_kw"): (250, 1000), ("coal_bunker", "height_m"): (20, 28),
    ("man_riding_device", "length_m"): (500, 2000), ("man_riding_device", "rated_speed_m_s"): (0.8, 1.2),
    ("man_riding_device", "inclination_deg"): (-20, 20), ("auxiliary_transport_vehicle", "rated_load_t"): (5, 20),
    ("auxiliary_transport_vehicle", "rated_speed_m_s"): (2, 5),
    ("rock_pressure_monitoring_system", "station_count"): (30, 150),
    ("roof_monitoring_system", "station_count"): (20, 120),
    ("hydrological_monitoring_system", "observation_hole_count"): (5, 30),
    ("office_area", "area_m2"): (300, 1500), ("office_area", "building_count"): (1, 3),
    ("hazardous_production_area", "area_m2"): (8000, 40000), ("workshop", "area_m2"): (30, 150),
    ("transfer_warehouse", "area_m2"): (50, 200), ("general_warehouse_area", "area_m2"): (5000, 20000),
    ("general_warehouse", "area_m2"): (200, 800), ("refuelling_area", "island_count"): (2, 4),
}  # fmt: skip
# Chance that a boolean attribute a builder does not set is true (default 0.85).
TRUE_SHARE = {
    "is_intermediate": 0.1, "outburst_risk": 0.0, "standby": 0.5, "underground": 0.6, "man_riding": 0.3,
    "passenger": 0.3, "enclosed": 0.5, "in_process_area": 0.15, "self_service": 0.4, "gas_utilisation": 0.4,
    "involves_major_hazard": 0.5,
}  # fmt: skip
# Optional text attributes a builder does not set: picked from these ((kind, key) first, then key).
STRINGS = {
    "controller_model": ("GDS-3000", "汉威HW-2000", "霍尼韦尔S3001", "艾默生GDC-800"),
    "coverage": ("罐区、装置区、装卸区", "生产装置区、罐区", "全厂"),
    "key_parameters": ("反应温度、反应压力、进料流量、冷却水流量", "反应釜温度和压力、搅拌速率、物料配比"),
    "interlocks": ("反应温度高高与进料切断联锁；压力高高紧急泄放", "冷却水流量低低与进料切断及紧急冷却联锁"),
    "registration_number": ("起37370100123", "起37370300456", "起37371100789"),
    "lining": ("镁碳砖", "高铝砖", "铝镁碳砖"), "composition": ("眼镜阀+蝶阀", "眼镜阀+闸阀", "扇形眼镜阀+密封蝶阀"),
    "specification": ("6×36WS+IWRC", "6×19S+FC", "18×7+FC"), ("dispenser", "model"): ("正星ZX-4", "托肯Tokheim", "稳牌WP-6"),
    "oil_products": ("92#、95#汽油", "92#汽油、0#柴油", "95#汽油、0#柴油"),
    "products": ("组合烟花", "礼花弹", "小礼花、喷花类"), "process": ("装药、封口", "筑药、组装", "插引、包装"),
}  # fmt: skip
SHUTDOWN_REASONS = ("停产整顿：重大事故隐患整改", "设备检修停产", "环保限产停产")


ECONOMIC_TYPES = {
    "default": {"173": 40, "159": 14, "160": 10, "174": 5, "171": 4, "151": 3, "110": 2, "120": 2, "310": 4, "330": 3,
                "230": 3, "210": 2, "190": 2, "130": 2},
    "coal": {"151": 4, "159": 4, "160": 3, "173": 1},
    "steel": {"160": 4, "159": 3, "173": 3, "151": 1},
    "gas_station": {"173": 6, "171": 3, "159": 1},
}  # fmt: skip
STATE_OWNED = {"110", "141", "143", "151"}
EMPLOYEES = {
    "dust_explosion": (20, 600), "steel": (1500, 15000), "aluminium_casting": (80, 1500), "coal": (600, 4500),
    "fireworks": (8, 60), "gas_station": (6, 25),
}  # fmt: skip
HAZCHEM_EMPLOYEES = {"production": (80, 2500), "use_permit": (50, 800), "operation_with_storage": (15, 120)}
CITY_ABBREVIATIONS = {
    "370100": "济", "370200": "青", "370300": "淄", "370400": "枣", "370500": "东", "370600": "烟", "370700": "潍",
    "370800": "济", "370900": "泰", "371000": "威", "371100": "日", "371300": "临", "371400": "德", "371500": "聊",
    "371600": "滨", "371700": "菏",
}  # fmt: skip
DATES = {
    "commissioning_date": ("2006-01-01", "2024-12-31"), "installed_on": ("2012-01-01", "2025-12-31"),
    "next_inspection": ("2026-12-01", "2027-11-30"), "calibration_due": ("2026-12-01", "2027-11-30"),
    "replacement_due": ("2027-01-01", "2028-12-31"), "last_trunnion_inspection": ("2026-01-01", "2026-10-31"),
    "license_valid_until": ("2026-06-01", "2029-12-31"),
}  # fmt: skip
GAS_NAMES = {"C6H6": "苯", "NH3": "氨气", "Cl2": "氯气"}
DESIGN_PRESSURE_MPA = {"液氨": 2.16, "液氯": 1.6, "液化石油气": 1.77}
COLLECTOR_NAMES = {
    "bag": "袋式除尘器", "cartridge": "滤筒除尘器", "cyclone": "旋风除尘器", "water_bath": "水浴除尘器",
    "water_film": "水膜除尘器", "wet_scrubber": "湿式洗涤除尘器",
}  # fmt: skip
DEVICE_NAMES = {
    "vent_panel": "泄爆片", "flameless_vent": "无焰泄爆装置", "isolation_valve": "隔爆阀",
    "chemical_isolation": "化学隔爆装置", "suppression": "抑爆装置", "spark_extinguishing": "火花探测熄灭装置",
}  # fmt: skip
CASTER_NAMES = {
    "slab": ("板坯", (1, 2)),
    "billet": ("小方坯", (6, 8)),
    "bloom": ("大方坯", (4, 6)),
    "round": ("圆坯", (4, 6)),
}
EMERGENCY_DISCHARGE = {
    "emergency_ladle": "连铸事故钢水罐",
    "tundish_overflow_pit": "中间罐溢流事故坑",
    "breakout_chute": "连铸漏钢事故溜槽",
}
GATES = {"coal": ("矿区大门", "矿区大门出入口"), "gas_station": ("站区出入口", "站区出入口")}
PERIMETER = ("东侧围墙", "南侧围墙", "西侧围墙", "北侧围墙")
# Totals a parent keeps of its children: parent kind → (attribute, child kinds, child attribute summed or None to count).
AGGREGATES = {
    "tank_farm": (("tank_count", ("storage_tank",), None), ("total_capacity_m3", ("storage_tank",), "capacity_m3")),
    "dust_removal_system": (("collector_count", ("dust_collector",), None),),
    "power_supply_system": (("substation_count", ("substation",), None),),
    "gas_drainage_system": (("pump_count", ("gas_drainage_pump",), None),),
    "drainage_system": (("pump_count", ("water_pump",), None),),
    "hazardous_production_area": (("building_count", ("workshop", "transfer_warehouse"), None),),
    "general_warehouse_area": (
        ("warehouse_count", ("general_warehouse",), None),
        ("total_approved_charge_kg", ("general_warehouse",), "approved_charge_kg"),
    ),
    "refuelling_area": (("dispenser_count", ("dispenser",), None),),
    "casting_well": (("wire_rope_count", ("wire_rope",), None),),
}
DETAIL_FIELDS = (
    "principal", "principal_phone", "scale", "employees", "economic_type", "affiliation", "supervision_level",
    "hazchem_category", "dust_kinds", "dust_workers", "monitoring_connected", "registration_code", "province_code",
    "special_info",
)  # fmt: skip
GAP_VALUES = {"employees": None, "dust_workers": None, "dust_kinds": []}  # other fields are left ""


# --- plants: planning ---------------------------------------------------------------------------


@dataclass(eq=False)
class FacilitySpec:
    kind: str
    name: str
    attrs: dict
    parent: FacilitySpec | None = None
    extra: bool = False  # optional: joins (with its children) while the points stay within budget
    watch: bool = False  # worth a camera
    toxic: tuple | None = None  # (gas, high, high-high ppm) its toxic-gas detectors look for
    skip_points: tuple = ()  # measurement kinds of its templates that do not apply
    kept: bool = True
    code: str = ""
    depth: int = 0
    candidates: list = field(default_factory=list)


@dataclass(eq=False)
class PointSpec:
    facility: FacilitySpec
    kind: str
    name: str
    unit: str
    values: dict  # range_low, range_high and the four thresholds
    optional: bool
    code: str = ""
    bit_number: str = ""
    period_s: int = 30


@dataclass(eq=False)
class SourceSpec:
    name: str
    facilities: list
    rows: list  # (facility spec, Substance, label, quantity in t)
    exposed_population: int
    code: str = ""
    assessment: object = None
    details: dict = field(default_factory=dict)


@dataclass(eq=False)
class PlantPlan:
    uscc: str
    details: dict  # Enterprise fields
    facilities: list
    points: list
    sources: list
    cameras: list  # (serial, name, facility spec or None, position)
    shutdown: tuple | None = None  # (starts_on, reason)
    catalogue: _Catalogue | None = None


class _Catalogue:
    """The reference data plants are built from, read once per build."""

    def __init__(self):
        self.kinds = {k.code: k for k in FacilityKind.objects.all()}
        self.measurements = {m.code: m for m in MeasurementKind.objects.all()}
        self.substances = {s.name: s for s in Substance.objects.select_related("category")}
        self.industries = {i.code: i for i in Industry.objects.all()}
        self.alpha_bands = list(AlphaBand.objects.order_by("-min_people"))
        if not (set(KIND_PREFIXES) <= set(self.kinds) and self.measurements and self.alpha_bands):
            raise ReferenceDataMissing()
        if any(CHEMICALS[label][0] not in self.substances for label in CHEMICALS):
            raise ReferenceDataMissing()
        rows = json.loads(POINT_TEMPLATES.read_text(encoding="utf-8"))
        self.templates = {row["facility_kind"]: row["points"] for row in rows}
        self.schema_keys = {code: {a["key"] for a in kind.attributes} for code, kind in self.kinds.items()}

    def substance(self, label: str) -> Substance:
        return self.substances[CHEMICALS[label][0]]

    def alpha(self, people: int) -> float:
        """GB 18218 table 5, for aiming at a level; the grading itself is ``assess``'s."""
        for band in self.alpha_bands:
            if people >= band.min_people and (band.max_people is None or people <= band.max_people):
                return float(band.alpha)
        return 1.0

    def choice_label(self, kind: str, key: str, code: str) -> str:
        spec = next(a for a in self.kinds[kind].attributes if a["key"] == key)
        return dict(spec["choices"])[code]


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def _tidy(value: float):
    """A number as a person would write it down."""
    if abs(value) >= 100:
        return round(value)
    if abs(value) >= 10:
        return round(value, 1)
    return round(value, 2)


def _nice_ceiling(value: float) -> float:
    magnitude = 10 ** math.floor(math.log10(value))
    return next(step * magnitude for step in (1, 2, 2.5, 5, 10) if step * magnitude >= value)


def _date(rng: random.Random, start: str, end: str) -> str:
    first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    return (first + dt.timedelta(days=rng.randrange((last - first).days + 1))).isoformat()


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """``total`` in ``parts`` positive whole shares."""
    cuts = sorted(rng.sample(range(1, total), parts - 1)) if total > parts else list(range(1, parts))
    bounds = [0, *cuts, total]
    return [max(1, b - a) for a, b in zip(bounds, bounds[1:], strict=False)]


def _threshold_values(spec: FacilitySpec, template: dict) -> dict:
    """A template's range and thresholds fitted to the facility: ``threshold_from`` its attributes, a tank's
    level scaled to its height; the range is widened when a threshold taken from an attribute exceeds it."""
    low, high = template.get("range") or (None, None)
    values = {"range_low": low, "range_high": high, **{t: template.get(t) for t in MonitoringPoint.THRESHOLDS}}
    scale = template.get("scale", {})
    for threshold, attribute in (template.get("threshold_from") or {}).items():
        if spec.attrs.get(attribute) is not None:
            values[threshold] = _tidy(spec.attrs[attribute] * scale.get(threshold, 1))
    if spec.kind == "storage_tank" and template["measurement_kind"] == "liquid_level" and spec.attrs.get("height_m"):
        factor = spec.attrs["height_m"] / high
        values = {k: None if v is None else round(v * factor, 2) for k, v in values.items()}
    given = [values[t] for t in MonitoringPoint.THRESHOLDS if values[t] is not None]
    if high is not None and given and max(given) > values["range_high"]:
        values["range_high"] = _nice_ceiling(max(given) * 1.25)
    return values


def _population(rng: random.Random, level) -> int:
    """People within 500 m outside the plant: enough for α = 2 (level 1) or 1.5 (level 2) when aiming high."""
    if level == 1:
        return rng.randint(100, 500)
    if level == 2:
        return rng.randint(50, 500)
    low, high = rng.choices(((0, 0), (1, 29), (30, 49), (50, 99), (100, 500)), weights=(12, 22, 14, 20, 32))[0]
    return rng.randint(low, high)


class _Plant:
    """One enterprise's plant while it is planned: facilities (parents before children), the optional
    ones marked ``extra``, ``pads`` that add facilities while the points fall short of the minimum,
    hazard sources over the facilities, special information per industry."""

    def __init__(self, catalogue: _Catalogue, rng: random.Random, plan: EnterprisePlan, details: dict, city, county):
        self.cat, self.rng, self.plan, self.details = catalogue, rng, plan, details
        self.city, self.county = city, county
        self.facilities: list[FacilitySpec] = []
        self.points: list[PointSpec] = []
        self.sources: list[SourceSpec] = []
        self.pads: list = []
        self.pre_grading: list = []  # run once the facilities are chosen, before the sources are graded
        self.finishers: list = []  # run last: special information
        self.special: dict = {}

    # building

    def add(self, kind, name, parent=None, *, extra=False, watch=False, toxic=None, skip_points=(), **attrs):
        spec = FacilitySpec(kind, name, self._attributes(kind, attrs), parent, extra, watch, toxic, skip_points)
        self.facilities.append(spec)
        return spec

    def _attributes(self, kind: str, given: dict) -> dict:
        unknown = set(given) - self.cat.schema_keys[kind]
        if unknown:
            raise AssertionError(f"{kind}: no attributes {sorted(unknown)}")
        values = {}
        for spec in self.cat.kinds[kind].attributes:
            key = spec["key"]
            if key in given:
                if given[key] is not None:
                    values[key] = given[key]
            elif spec.get("required") or self.rng.random() >= 0.25:  # a quarter of the optional ones stay blank
                value = self._value(kind, spec)
                if value is not None:
                    values[key] = value
        return values

    def _value(self, kind: str, spec: dict):
        rng, key, type_ = self.rng, spec["key"], spec["type"]
        if type_ == "boolean":
            return rng.random() < TRUE_SHARE.get(key, 0.85)
        if type_ == "choice":
            return rng.choice(spec["choices"])[0]
        if type_ == "date":
            return _date(rng, *DATES[key]) if key in DATES else None
        if type_ in ("integer", "number"):
            span = RANGES.get((kind, key))
            if span is None:
                return None
            value = rng.uniform(*span)
            return round(value) if type_ == "integer" else _tidy(value)
        if type_ in ("string", "text"):
            options = STRINGS.get((kind, key)) or STRINGS.get(key)
            return rng.choice(options) if options else None
        return None

    def children(self, parent: FacilitySpec, *kinds) -> list[FacilitySpec]:
        return [s for s in self.facilities if s.parent is parent and s.kept and (not kinds or s.kind in kinds)]

    def kept(self, *kinds) -> list[FacilitySpec]:
        return [s for s in self.facilities if s.kept and s.kind in kinds]

    def plan_quantities(self, labels, level) -> tuple[int, list[float]]:
        """(exposed population, tonnes per label) aiming at GB 18218 ``level`` (None: S below 1)."""
        rng = self.rng
        substances = [self.cat.substance(label) for label in labels]
        weights = [rng.uniform(0.6, 1.4) for _ in labels]
        shares = [w / sum(weights) for w in weights]
        beta = sum(share * float(s.beta) for share, s in zip(shares, substances, strict=True))
        population = _population(rng, level)
        alpha = self.cat.alpha(population)
        if level is None:
            s = rng.uniform(0.2, 0.9)
        elif level == 4:
            if 9 / (alpha * beta) < 1.4:  # R < 10 with S ≥ 1 needs a smaller α: fewer than 30 people
                population = rng.randint(0, 29)
                alpha = self.cat.alpha(population)
            s = rng.uniform(1.1, min(9 / (alpha * beta), 6))
        else:
            s = rng.uniform(*R_TARGETS[level]) / (alpha * beta)
        return population, [s * share * float(sub.q_t) for share, sub in zip(shares, substances, strict=True)]

    # choosing facilities and points

    def _candidates(self, spec: FacilitySpec) -> list[PointSpec]:
        points = []
        for template in self.cat.templates.get(spec.kind, []):
            measured = template["measurement_kind"]
            when = template.get("applies_when")
            if measured in spec.skip_points or (when and spec.attrs.get(when["attribute"]) not in when["in"]):
                continue
            name, optional = template["name"], bool(template.get("optional"))
            values = _threshold_values(spec, template)
            if template.get("gas"):
                if spec.toxic:  # detectors for the toxic gas it holds are not optional
                    gas, high, high_high = spec.toxic
                    name = name.replace("有毒气体", GAS_NAMES[gas])
                    values.update(range_low=0, range_high=TOXIC_RANGES[gas], high=high, high_high=high_high)
                    optional = False
                elif spec.kind in ("storage_tank", "tank_farm", "warehouse"):
                    continue  # nothing toxic stored there
            replicated = REPLICATED_POINTS.get((spec.kind, measured))
            copies = int(spec.attrs.get(replicated[0]) or 1) if replicated else 1
            for n in range(1, copies + 1):
                label = f"{name}（{n}#{replicated[1]}）" if copies > 1 else name
                points.append(PointSpec(spec, measured, label, template.get("unit", ""), dict(values), optional))
        return points

    def select(self) -> None:
        """Keep the optional facilities that fit the budget, pick optional points, pad up to the minimum."""
        low, high = POINTS_PER_ENTERPRISE
        for spec in self.facilities:
            spec.candidates = self._candidates(spec)
        owner, members = {}, {}
        for spec in self.facilities:
            owner[spec] = spec if spec.extra else owner.get(spec.parent)
            members.setdefault(owner[spec], []).append(spec)

        def cost(specs):
            return sum(not p.optional for s in specs for p in s.candidates)

        total = cost(members.get(None, []))
        for spec in self.facilities:
            if not spec.extra:
                continue
            group = members[spec]
            if (spec.parent is None or spec.parent.kept) and total + cost(group) <= MANDATORY_BUDGET:
                total += cost(group)
            else:
                for member in group:
                    member.kept = False
        chosen, spare = [], []
        for spec in self.facilities:
            if not spec.kept:
                continue
            for point in spec.candidates:
                if not point.optional:
                    chosen.append(point)
                elif total < high and self.rng.random() < OPTIONAL_POINT_SHARE:
                    chosen.append(point)
                    total += 1
                else:
                    spare.append(point)
        while total < low and spare:
            chosen.append(spare.pop(0))
            total += 1
        while total < low:
            if not self.pads:
                raise AssertionError(f"{self.plan.name}: only {total} monitoring points")
            for spec in self.pads.pop(0)():
                spec.candidates = self._candidates(spec)
                chosen += spec.candidates
                total += len(spec.candidates)
        order = {spec: n for n, spec in enumerate(self.facilities)}
        position = {id(p): n for n, p in enumerate(p for s in self.facilities for p in s.candidates)}
        self.points = sorted(chosen, key=lambda p: (order[p.facility], position[id(p)]))
        self.facilities = [s for s in self.facilities if s.kept]

    def finish(self) -> None:
        """Codes, totals, point numbering, the grading of the hazard sources, special information."""
        counters = Counter()
        for spec in self.facilities:
            spec.depth = spec.parent.depth + 1 if spec.parent else 0
            prefix = KIND_PREFIXES[spec.kind]
            counters[prefix] += 1
            spec.code = f"{prefix}{counters[prefix]:02d}"
        for spec in self.facilities:
            for attribute, kinds, summed in AGGREGATES.get(spec.kind, ()):
                children = self.children(spec, *kinds)
                if not children:
                    spec.attrs.pop(attribute, None)
                elif summed:
                    spec.attrs[attribute] = _tidy(sum(c.attrs[summed] for c in children))
                else:
                    spec.attrs[attribute] = len(children)
        self._number_points()
        for step in self.pre_grading:
            step()
        self._grade_sources()
        for finisher in self.finishers:
            finisher()
        for spec in self.facilities:
            spec.attrs = validate_attributes(self.cat.kinds[spec.kind].attributes, spec.attrs)

    def _number_points(self) -> None:
        """Codes <facility>-<kind>-<n>; bit numbers by ISA letters, plant area (top-level facility) and serial."""
        area_of, areas = {}, 0
        for spec in self.facilities:
            if spec.parent is None:
                areas += 1
            area_of[spec] = area_of[spec.parent] if spec.parent else min(areas, 9)
        per_kind, serials = Counter(), Counter()
        for point in self.points:
            spec = point.facility
            per_kind[(spec.code, point.kind)] += 1
            point.code = f"{spec.code}-{point.kind}-{per_kind[(spec.code, point.kind)]}"
            letters, area = ISA_LETTERS.get(point.kind, "XI"), area_of[spec]
            serials[(letters, area)] += 1
            point.bit_number = f"{letters}-{area}{serials[(letters, area)]:03d}"
            if point.kind in FAST_KINDS:
                point.period_s = 10
            elif point.kind in SLOW_KINDS:
                point.period_s = 60
            elif point.kind in MEDIUM_KINDS:
                point.period_s = 15

    def _grade_sources(self) -> None:
        rng, sources = self.rng, []
        for source in self.sources:
            source.facilities = [f for f in source.facilities if f.kept]
            source.rows = [row for row in source.rows if row[0].kept]
            if source.facilities and source.rows:
                sources.append(source)
        for n, source in enumerate(sources, start=1):
            source.code = f"HS{n:02d}"
            items = [term_for(substance=substance, quantity_t=q) for _, substance, _, q in source.rows]
            source.assessment = result = assess(source.exposed_population, items)
            for facility in source.facilities:
                if "major_hazard_level" in self.cat.schema_keys[facility.kind]:
                    facility.attrs["major_hazard_level"] = str(result.level) if result.is_major else "none"
            filed = result.is_major and rng.random() < 0.88
            year = rng.randint(2019, 2025)
            source.details = {
                "filing_status": FilingStatus.FILED if filed else FilingStatus.UNFILED,
                "filing_number": f"BA{self.county.code}{year}{rng.randint(1, 300):03d}" if filed else "",
                "filed_on": dt.date.fromisoformat(_date(rng, f"{year}-01-01", f"{year}-12-31")) if filed else None,
                "principal_person": self.details["principal"],
                "principal_phone": self.details["principal_phone"],
                "technical_person": person_name(rng),
                "technical_phone": mobile(rng),
                "operational_person": person_name(rng),
                "operational_phone": mobile(rng),
            }
        self.sources = sources

    def plan_cameras(self) -> list[tuple]:
        rng = self.rng
        count = rng.randint(*CAMERAS_PER_ENTERPRISE)
        watched = [s for s in self.facilities if s.watch]
        picks = sorted(rng.sample(watched, min(count - 1, len(watched))), key=self.facilities.index)
        gate, position = GATES.get(self.plan.industries[0], ("厂区大门", "厂区大门出入口"))
        cameras = [(f"{gate}监控", None, position)]
        cameras += [(f"{s.name}监控", s, s.name) for s in picks]
        while len(cameras) < count:
            side = PERIMETER[len(cameras) % len(PERIMETER)]
            cameras.append((f"{side}周界监控", None, side))
        return [(n, name, spec, position) for n, (name, spec, position) in enumerate(cameras, start=1)]


# --- plants: the industries ---------------------------------------------------------------------


def _trade(name: str) -> Trade:
    return next((t for t in TRADES if t.word in name), TRADES[-1])


def _round_volume(volume: float) -> float:
    if volume >= 1000:
        return round(volume, -2)
    if volume >= 100:
        return round(volume, -1)
    return round(volume)


def _tank_size(rng: random.Random, label: str, volume: float) -> tuple[float, str]:
    """(capacity m³, tank type) of a tank meant to hold ``volume``, within what such tanks are built as."""
    if CHEMICALS[label][2] == "liquefied":
        if label == "液氯" or volume <= 120:
            return max(10, min(round(volume), 100 if label == "液氯" else 120)), "horizontal"
        return min(_round_volume(volume), 3000), "spherical"
    if label == "汽油" or volume >= 5000:
        tank_type = "external_floating" if volume >= 10000 and rng.random() < 0.5 else "internal_floating"
    else:
        tank_type = rng.choice(("internal_floating", "fixed_roof"))
    return max(50, min(_round_volume(volume), 30000)), tank_type


def _tank_height(capacity: float, tank_type: str) -> float:
    """Height (a sphere's or drum's diameter) of a tank of ``capacity`` m³."""
    if tank_type == "spherical":
        return round((6 * capacity / math.pi) ** (1 / 3), 1)
    if tank_type == "horizontal":  # a drum four diameters long
        return round((capacity / math.pi) ** (1 / 3), 1)
    ratio = 1.2 if capacity < 1000 else 0.9 if capacity < 10000 else 0.6  # height / diameter
    return round(min(ratio * (4 * capacity / (math.pi * ratio)) ** (1 / 3), 22.0), 1)


def _tank_farm(p: _Plant, number: int, labels: tuple, *, extra: bool) -> FacilitySpec:
    rng = p.rng
    classes = sorted(CHEMICALS[label][3] for label in labels if CHEMICALS[label][3])
    toxic = next((CHEMICALS[label][4] for label in labels if CHEMICALS[label][4]), None)
    flammable = bool(classes)
    farm = p.add(
        "tank_farm", f"{number}#罐区", extra=extra, watch=True, toxic=toxic, is_intermediate=False,
        skip_points=() if flammable else ("combustible_gas",),
        fire_hazard_class=classes[0] if classes else None, has_emergency_shutoff=True,
        tank_count=None, total_capacity_m3=None, major_hazard_level=None,
    )  # fmt: skip
    population, tonnes = p.plan_quantities(labels, _weighted(rng, FARM_LEVELS))
    per_label = [1] * len(labels)
    for _ in range(rng.randint(max(2, len(labels)), 6) - len(labels)):
        per_label[rng.randrange(len(labels))] += 1
    rows, n = [], 0
    for label, count, total in zip(labels, per_label, tonnes, strict=True):
        _, density, state, fire_class, gas = CHEMICALS[label]
        fill = 0.9 if state == "liquid" else 0.85
        substance = p.cat.substance(label)
        for _ in range(count):
            n += 1
            capacity, tank_type = _tank_size(rng, label, total / count / (density * fill) * rng.uniform(0.85, 1.15))
            tank = p.add(
                "storage_tank", f"{number}{n:02d}#{label}储罐", farm, toxic=gas, medium=label,
                skip_points=() if fire_class else ("combustible_gas",),
                cas=substance.cas_numbers[0] if substance.cas_numbers else None, capacity_m3=capacity,
                tank_type=tank_type, height_m=_tank_height(capacity, tank_type),
                design_pressure_mpa=DESIGN_PRESSURE_MPA.get(label, 0.002 if tank_type == "fixed_roof" else None),
                design_temperature_c=50,
            )  # fmt: skip
            rows.append((tank, substance, label, Decimal(str(round(capacity * density * fill, 1)))))
    p.sources.append(SourceSpec(f"{farm.name}（{'、'.join(labels)}）", [farm], rows, population))
    return farm


def _warehouse(p: _Plant, trade: Trade) -> FacilitySpec:
    rng = p.rng
    labels = rng.choice(trade.goods)
    # Only chlorine cylinders and ammonium nitrate reach major quantities in a warehouse.
    graded = any(label in ("液氯", "硝酸铵（含可燃物≤0.2%）") for label in labels)
    population, tonnes = p.plan_quantities(labels, _weighted(rng, WAREHOUSE_LEVELS) if graded else None)
    stored = [{"name": label, "quantity_t": round(max(t, 0.5), 1)} for label, t in zip(labels, tonnes, strict=True)]
    names = {"液氯": "液氯钢瓶库", "氢": "氢气钢瓶库", "硝酸铵（含可燃物≤0.2%）": "硝酸铵仓库"}
    warehouse = p.add(
        "warehouse", names.get(labels[0], "甲类仓库"), watch=True,
        toxic=next((CHEMICALS[label][4] for label in labels if CHEMICALS[label][4]), None),
        skip_points=() if any(label != "液氯" for label in labels) else ("combustible_gas",),
        stored_substances=stored, max_storage_t=_tidy(sum(s["quantity_t"] for s in stored) * rng.uniform(1.0, 1.25)),
        fire_hazard_class=WAREHOUSE_FIRE_CLASS.get(labels[0], "jia"),
        storage_category="highly_toxic" if labels[0] == "液氯" else "general", major_hazard_level=None,
    )  # fmt: skip
    if graded or rng.random() < 0.3:  # drums and cylinders far below Q are seldom recorded
        rows = [(warehouse, p.cat.substance(s["name"]), s["name"], Decimal(str(s["quantity_t"]))) for s in stored]
        p.sources.append(SourceSpec(warehouse.name, [warehouse], rows, population))
    return warehouse


def _hazchem_special(p: _Plant) -> dict:
    rng, category = p.rng, p.details["hazchem_category"]
    year, serial = rng.randint(2021, 2025), rng.randint(1, 99999)
    if category == "production":
        licence = f"（鲁）WH安许证字〔{year}〕{serial:06d}号"
    elif category == "use_permit":
        licence = f"（鲁）WH使许证字〔{year}〕{serial:06d}号"
    else:
        licence = f"鲁{CITY_ABBREVIATIONS.get(p.city.code, '鲁')}危化经字〔{year}〕{serial:06d}号"
    held = {label for source in p.sources for _, _, label, _ in source.rows}
    held |= {s.attrs.get("medium") for s in p.kept("storage_tank")}
    return {
        "safety_license_no": licence,
        "license_valid_until": _date(rng, *DATES["license_valid_until"]),
        "key_process": bool(p.kept("hazardous_process_unit")),
        "key_chemicals": bool(held & KEY_CHEMICALS) or p.plan.industries[0] == "gas_station",
        "major_hazard": any(s.assessment.is_major for s in p.sources),
    }


def _build_hazardous_chemicals(p: _Plant, primary: bool) -> None:
    p.finishers.append(lambda: p.special.update(hazardous_chemicals=_hazchem_special(p)))
    if not primary:  # a gas station trading in hazardous chemicals: its tanks are the station's
        return
    rng, category = p.rng, p.details["hazchem_category"]
    trade = _trade(p.plan.name)
    sets = list(trade.farms)
    rng.shuffle(sets)
    farms = [_tank_farm(p, n + 1, sets[n % len(sets)], extra=n > 0) for n in range(2 if rng.random() < 0.45 else 1)]
    toxic = farms[0].toxic
    _warehouse(p, trade)
    media = "、".join(dict.fromkeys(t.attrs["medium"] for t in p.facilities if t.kind == "storage_tank"))
    rail = trade.word == "石化" and rng.random() < 0.3
    p.add(
        "loading_rack", "铁路装卸栈台" if rail else "汽车装卸栈台", watch=True, media=media,
        vehicle_type="rail_tanker" if rail else "road_tanker", positions=rng.randint(2, 4),
        has_static_grounding_alarm=True, has_overflow_alarm=True,
    )  # fmt: skip
    if category == "operation_with_storage":
        p.add("pump_room", "装卸泵房", farms[0], media=media, enclosed=False)
    else:
        share = 0.65 if category == "production" else 0.25
        for n, (product, processes) in enumerate(rng.sample(trade.products, rng.choice((1, 2)))):
            hazardous = bool(processes) and rng.random() < share
            unit = p.add(
                "production_unit", f"{product}生产装置", extra=n > 0, watch=True, toxic=toxic, products=product,
                involves_hazardous_process=hazardous, has_dcs=True, fire_hazard_class=rng.choice(("jia", "yi")),
                major_hazard_level=None,
            )  # fmt: skip
            if hazardous:
                process = rng.choice(processes)
                label = p.cat.choice_label("hazardous_process_unit", "process_type", process)
                p.add(
                    "hazardous_process_unit", f"{product}{label.split('（')[0]}单元", unit, watch=True, toxic=toxic,
                    process_type=process, has_automation=True, has_sis=True, has_esd=True,
                )  # fmt: skip
    p.add("control_room", "中控室", watch=True, is_duty_centre=True, staffed_24h=True, blast_resistant=True)
    p.add("gas_detection_system", "可燃和有毒气体检测报警系统", extra=True, toxic=toxic, independent_of_dcs=True)

    def pad_detection():
        if p.kept("gas_detection_system"):
            return []
        return [p.add("gas_detection_system", "可燃和有毒气体检测报警系统", toxic=toxic, independent_of_dcs=True)]

    p.pads += [pad_detection, lambda: [p.add("pump_room", f"{farms[0].name}泵房", farms[0], media=media)]]


def _dust_collector(p: _Plant, system: FacilitySpec, *, extra: bool = False) -> list[FacilitySpec]:
    rng = p.rng
    n = len([s for s in p.facilities if s.parent is system and s.kind == "dust_collector"]) + 1
    if system.attrs["system_type"] == "wet":
        kind = rng.choice(("water_bath", "water_film", "wet_scrubber"))
        return [
            p.add(
                "dust_collector", f"{system.name}{n}#{COLLECTOR_NAMES[kind]}", system, extra=extra, collector_type=kind,
                filter_area_m2=None, has_rotary_valve=False, water_tank_volume_m3=_tidy(rng.uniform(1, 8)),
            )
        ]  # fmt: skip
    kind = rng.choice(DRY_COLLECTORS.get(system.attrs["dust_kind"], ("bag", "cartridge", "cyclone")))
    indoor = rng.random() < 0.25
    collector = p.add(
        "dust_collector", f"{system.name}{n}#{COLLECTOR_NAMES[kind]}", system, extra=extra, watch=True,
        collector_type=kind, water_tank_volume_m3=None, has_rotary_valve=True, installation="indoor" if indoor else "outdoor",
    )  # fmt: skip
    added = [collector]
    devices = ["flameless_vent" if indoor else "vent_panel", "isolation_valve"]
    if system.attrs["dust_kind"] in ("wood", "paper", "textile", "grain", "feed") or rng.random() < 0.3:
        devices.append("spark_extinguishing")
    for device in devices:
        added.append(
            p.add(
                "explosion_protection_device", f"{collector.name}{DEVICE_NAMES[device]}", collector,
                device_type=device, activation_pressure_kpa=_tidy(rng.uniform(5, 15)) if "vent" in device else None,
                installed_on=_date(rng, "2016-01-01", "2025-06-30"),
                next_inspection=_date(rng, *DATES["next_inspection"]),
            )
        )  # fmt: skip
    if rng.random() < 0.5:
        added.append(p.add("dust_bin", f"{collector.name}灰斗收尘仓", collector))
    return added


def _build_dust_explosion(p: _Plant, primary: bool) -> None:
    rng, kinds = p.rng, p.details["dust_kinds"]
    if primary:
        names = next((v[1] for k, v in DUST_TRADES.items() if k in p.plan.name), ("生产车间", "打磨车间", "包装车间"))
        workshops_n = rng.randint(1, 3)
        systems_n = rng.randint(workshops_n, 3)
    else:
        names, workshops_n, systems_n = (SECONDARY_DUST[p.plan.industries[0]][1],), 1, 1
    workers = _split(p.details["dust_workers"], workshops_n, rng)
    workshops = [
        p.add(
            "dust_workshop", names[n], watch=True, dust_kind=kinds[n % len(kinds)], dust_workers=workers[n],
            explosion_zone=rng.choice(("zone_21", "zone_22")),
        )
        for n in range(workshops_n)
    ]  # fmt: skip
    systems = []

    def add_system(workshop) -> list[FacilitySpec]:
        wet = rng.random() < (0.5 if workshop.attrs["dust_kind"] == "metal" else 0.12)
        system = p.add(
            "dust_removal_system", f"{len(systems) + 1}#除尘系统", watch=False, system_type="wet" if wet else "dry",
            dust_kind=workshop.attrs["dust_kind"], serving_area=workshop.name, collector_count=None,
        )  # fmt: skip
        systems.append(system)
        added = [system, *_dust_collector(p, system)]
        if primary and rng.random() < 0.4:
            added += _dust_collector(p, system, extra=True)
        return added

    for n in range(systems_n):
        add_system(workshops[n % workshops_n])

    def pad():
        for system in systems:
            if system.kept and len(p.children(system, "dust_collector")) < 3:
                return _dust_collector(p, system)
        if len(systems) < 3:
            return add_system(workshops[0])
        return []

    p.pads += [pad] * 9

    def special():
        types = {s.attrs["system_type"] for s in p.kept("dust_removal_system")}
        p.special["dust_explosion"] = {
            "dust_sites": len(p.kept("dust_workshop")),
            "removal_systems": len(p.kept("dust_removal_system")),
            "removal_type": "mixed" if len(types) > 1 else types.pop(),
        }

    p.finishers.append(special)


def _build_steel(p: _Plant, primary: bool) -> None:
    rng, name = p.rng, p.plan.name
    electric = (("特钢" in name or "钢管" in name) and rng.random() < 0.6) or rng.random() < 0.1
    heats = []
    if not electric:
        for n in range(rng.choice((1, 2, 2, 3))):
            volume = rng.choice((1080, 1250, 1580, 1780, 2000, 2300, 2850, 3200))
            design = round(180 + volume / 40)
            relief = round(design * rng.uniform(0.94, 1.0))
            p.add(
                "blast_furnace", f"{n + 1}#高炉（{volume}m³）", extra=n > 0, watch=True, volume_m3=volume,
                design_max_top_pressure_kpa=design, relief_valve_set_pressure_kpa=relief,
                top_pressure_setpoint_kpa=round(relief * rng.uniform(0.78, 0.88)), top_pressure_interlocked=True,
            )  # fmt: skip
        for n in range(rng.choice((1, 2, 2, 3))):
            heats.append(rng.choice((80, 100, 120, 150, 180, 210)))
            p.add(
                "converter", f"{n + 1}#转炉（{heats[-1]}t）", extra=n > 0, watch=True, nominal_capacity_t=heats[-1],
                water_cooling_interlocked=True, gas_recovery=True,
            )  # fmt: skip
    else:
        for n in range(rng.choice((1, 1, 2))):
            heats.append(rng.choice((50, 60, 70, 90, 100, 120)))
            p.add(
                "electric_arc_furnace", f"{n + 1}#电弧炉（{heats[-1]}t）", extra=n > 0, watch=True,
                nominal_capacity_t=heats[-1], water_cooling_interlocked=True,
            )  # fmt: skip
    heat = max(heats)
    for n in range(rng.choice((1, 2))):
        furnace = rng.choice(("lf", "lf", "rh", "vd"))
        p.add(
            "refining_furnace", f"{n + 1}#{furnace.upper()}精炼炉", extra=n > 0, furnace_type=furnace,
            nominal_capacity_t=heat, water_cooling_interlocked=True,
        )  # fmt: skip
    for n in range(rng.choice((1, 2))):
        caster = rng.choice(tuple(CASTER_NAMES))
        label, strands = CASTER_NAMES[caster]
        p.add(
            "continuous_caster", f"{n + 1}#{label}连铸机", extra=n > 0, watch=True, caster_type=caster,
            strands=rng.randint(*strands), breakout_prediction=True,
        )  # fmt: skip
    load = next(t for t in (100, 140, 180, 225, 280, 320, 360, 450) if t >= heat * 1.6)
    for n in range(rng.choice((1, 2))):
        p.add(
            "molten_metal_crane", f"{n + 1}#铸造起重机（{load}t）", extra=n > 0, watch=True, rated_load_t=load,
            crane_type="casting_crane", dual_brakes=True, fixed_gantry_hook=True,
        )  # fmt: skip
    ladle_types = ("steel", "slag") if electric else ("hot_metal", "steel", "slag")
    names = {"hot_metal": "铁水罐", "steel": "钢水罐", "slag": "渣罐"}
    for n in range(rng.randint(2, 4)):
        ladle = ladle_types[n % len(ladle_types)]
        p.add(
            "molten_metal_ladle", f"{n + 1}#{names[ladle]}", extra=n > 1, ladle_type=ladle,
            capacity_t=heat if ladle != "slag" else round(heat * 0.3),
        )  # fmt: skip
    discharge = rng.choice(tuple(EMERGENCY_DISCHARGE))
    p.add("emergency_discharge_facility", EMERGENCY_DISCHARGE[discharge], serves="1#连铸机", facility_type=discharge)
    gases = "天然气" if electric else "高炉煤气、转炉煤气" + ("、焦炉煤气" if rng.random() < 0.3 else "")
    system = p.add("gas_system", "煤气系统" if not electric else "燃气系统", gas_types=gases, monitoring_room_24h=True)
    if not electric:
        holders, rows = [], []
        density = {"bfg": 1.33, "ldg": 1.36}
        for n, medium in enumerate(rng.sample(("ldg", "bfg"), rng.choice((1, 2)))):
            capacity = rng.choice((50000, 80000, 100000) if medium == "ldg" else (150000, 200000, 300000))
            holder = p.add(
                "gas_holder", f"{n + 1}#{'转炉' if medium == 'ldg' else '高炉'}煤气柜（{capacity // 10000}万m³）", system,
                extra=n > 0, watch=True, gas_medium=medium, capacity_m3=capacity,
                holder_type=rng.choice(("dry_rubber", "wet") if medium == "ldg" else ("dry_thin_oil", "dry_rubber")),
            )  # fmt: skip
            holders.append(holder)
            rows.append(
                (holder, p.cat.substances["煤气"], "煤气", Decimal(str(round(capacity * density[medium] / 1000, 1))))
            )
        p.sources.append(SourceSpec("煤气柜区", holders, rows, _population(rng, None)))
    for n in range(rng.choice((1, 2))):
        p.add(
            "gas_isolation_device", f"{n + 1}#眼镜阀组合式隔断装置", system, extra=n > 0,
            protected_facility=rng.choice(("heating_furnace", "gas_holder", "booster", "workshop_inlet")),
        )  # fmt: skip
    for n in range(rng.choice((1, 2))):
        pressure = rng.randint(8, 20)
        p.add(
            "water_seal_drainer", f"{n + 1}#水封式排水器", system, extra=n > 0, pipeline_pressure_kpa=pressure,
            max_seal_pressure_kpa=pressure + rng.choice((10, 15, 20)), dedicated=True,
        )  # fmt: skip
    places = ["煤气加压站操作室", "高炉炉前值班室", "煤气柜区", "转炉炉口平台", "轧钢加热炉燃烧器平台"]
    for n in range(rng.choice((2, 3))):
        place = places[n] if not electric else ("加热炉燃烧器平台", "燃气调压站", "精炼炉平台")[n]
        p.add(
            "co_detector", f"{place}一氧化碳报警器", system, extra=n > 1, installed_location=place,
            location_type="occupied_room" if "室" in place else "leak_prone", range_ppm=1000, linked_to_24h_room=True,
        )  # fmt: skip

    def special():
        kept = {
            kind: len(p.kept(kind)) for kind in ("blast_furnace", "converter", "electric_arc_furnace", "gas_holder")
        }
        capacity = sum(s.attrs["nominal_capacity_t"] for s in p.kept("converter")) * 1.1
        capacity += sum(s.attrs["nominal_capacity_t"] for s in p.kept("electric_arc_furnace")) * 0.7
        p.special["steel"] = {
            "crude_steel_capacity_10kt": _tidy(capacity),
            "blast_furnaces": kept["blast_furnace"],
            "converters": kept["converter"],
            "electric_arc_furnaces": kept["electric_arc_furnace"],
            "gas_holders": kept["gas_holder"],
        }

    p.finishers.append(special)


def _build_aluminium_casting(p: _Plant, primary: bool) -> None:
    rng = p.rng
    wells = rng.choices((1, 2, 3, 4), weights=(20, 35, 30, 15))[0]
    check_days = rng.choice((7, 7, 15, 30))

    def melting(n, extra=False):
        return p.add(
            "melting_furnace", f"{n}#熔炼炉", extra=extra, watch=True, capacity_t=rng.choice((20, 25, 30, 40, 50, 60)),
            fuel=rng.choice(("natural_gas", "natural_gas", "electric")), has_emergency_water=True,
            water_cooled_elements=rng.choices(("none", "closed_loop", "open_loop"), weights=(4, 4, 2))[0],
        )  # fmt: skip

    def holding(n, extra=False):
        tilting = rng.random() < 0.5
        return p.add(
            "holding_furnace", f"{n}#{'倾动式' if tilting else '固定式'}保温炉", extra=extra,
            furnace_type="tilting" if tilting else "fixed", capacity_t=rng.choice((20, 25, 30, 40, 50)),
            has_mechanical_lock=True, has_emergency_drain=True, tilt_back_interlock=True if tilting else None,
        )  # fmt: skip

    for n in range(math.ceil(wells / 2)):
        melting(n + 1)
    for n in range(wells):
        holding(n + 1)
        winch = rng.random() < 0.35
        well = p.add(
            "casting_well", f"{n + 1}#深井铸造井", watch=True, well_depth_m=rng.choice((8, 9, 10, 11, 12)),
            casting_machine_type="wire_rope_winch" if winch else "hydraulic", wire_rope_count=None,
            has_quick_cutoff_valve=True, has_emergency_drain_valve=True, has_emergency_water=True,
        )  # fmt: skip
        for rope in range(rng.randint(2, 4) if winch else 0):
            p.add(
                "wire_rope", f"{well.name}{rope + 1}#钢丝绳", well, core_type="steel_core",
                installed_on=_date(rng, "2024-01-01", "2026-06-30"), inspection_interval_days=check_days,
            )  # fmt: skip
    p.pads += [
        lambda: [melting(len(p.kept("melting_furnace")) + 1)],
        lambda: [holding(len(p.kept("holding_furnace")) + 1)],
    ] * 2
    annual = wells * rng.randrange(15000, 40001, 1000)
    p.finishers.append(
        lambda: p.special.update(
            aluminium_casting={
                "casting_wells": len(p.kept("casting_well")),
                "annual_capacity_t": annual,
                "wire_rope_check_days": check_days,
            }
        )
    )


def _build_coal(p: _Plant, primary: bool) -> None:
    rng = p.rng
    grade = rng.choices(("low_gas", "high_gas", "outburst"), weights=(76, 18, 6))[0]
    water = rng.choices(("simple", "medium", "complex", "extremely_complex"), weights=(8, 36, 40, 16))[0]
    capacity = rng.choice((45, 60, 90, 120, 150, 180, 240, 300, 400, 500))
    vendor, model = rng.choice(MONITORING_VENDORS)
    p.add("safety_monitoring_system", "安全监控系统", manufacturer=vendor, model=model)
    vendor, model = rng.choice(POSITIONING_VENDORS)
    p.add(
        "personnel_positioning_system", "人员位置监测系统", manufacturer=vendor, model=model,
        approved_underground_persons=min(1300, 150 + capacity * 2 + rng.randrange(0, 100, 10)),
    )  # fmt: skip
    power = p.add("power_supply_system", "矿井供电系统", substation_count=None, dual_circuit=True)
    for n, where in enumerate(rng.sample(("中央变电所", "采区变电所", "地面变电所"), 2)):
        p.add(
            "substation", where, power, extra=n > 0, watch=n == 0, device_type="高压真空配电装置综合保护器",
            installed_location=where, voltage_level_kv=10, underground=not where.startswith("地面"),
            manufacturer=rng.choice(("山东中煤电器有限公司", "上海山源电子科技股份有限公司", "南京大全电气有限公司")),
        )  # fmt: skip
    p.add("hoist", "主井提升机", watch=True, purpose="main_shaft", hoist_type="multi_rope_friction", man_riding=False)
    inflow = rng.randrange(100, 601, 10)
    drainage = p.add(
        "drainage_system", "主排水系统", normal_inflow_m3h=inflow, max_inflow_m3h=round(inflow * rng.uniform(1.5, 3)),
        pump_count=None,
    )  # fmt: skip
    for n in range(3):
        p.add(
            "water_pump", f"中央泵房{n + 1}#水泵", drainage, extra=n > 0, watch=n == 0,
            model=rng.choice(("MD450-60×8", "MD280-65×9", "MD500-57×7")), pump_type="centrifugal",
        )  # fmt: skip
    p.add("sump", "中央水仓（主仓）", drainage, capacity_m3=round(inflow * 8, -2), sump_role="main")
    p.add("sump", "中央水仓（副仓）", drainage, extra=True, capacity_m3=round(inflow * 6, -2), sump_role="auxiliary")
    required = rng.randrange(6000, 18001, 500)
    vent = p.add(
        "ventilation_system", "矿井通风系统", ventilation_mode="exhaust", required_air_m3_min=required,
        ventilation_method=rng.choice(("central", "diagonal", "zoned")),
        intake_air_m3_min=round(required * rng.uniform(1.1, 1.25)),
    )  # fmt: skip
    shaft = rng.choice(("北风井", "东风井", "中央风井"))
    fan = rng.choice(("FBCDZ-8-No.26", "FBCDZ-10-No.28", "GAF28-15-1"))
    rated, power_kw = min(29000, round(required * rng.uniform(1.3, 1.6), -2)), rng.choice((315, 400, 560, 710, 900))
    for n in range(2):
        p.add(
            "main_fan", f"{shaft}{n + 1}#主要通风机", vent, extra=n > 0, watch=n == 0, model=fan, standby=n > 0,
            rated_power_kw=power_kw, rated_air_m3_min=rated, installed_location=shaft,
        )  # fmt: skip
    for n in range(2):
        p.add(
            "air_door", f"{n + 1}#风门", vent, extra=n > 0, door_type="air_door", interlocked=True,
            installed_location=rng.choice(("井底车场联络巷", "采区回风石门", "轨道上山")),
        )  # fmt: skip
    seam, district = rng.choice(SEAMS), rng.randint(1, 9)
    number = seam.removesuffix("煤层").replace("上", "").replace("下", "")
    for n in range(2):
        p.add(
            "working_face", f"{number}{district}{n + 1:02d}综采工作面", watch=True, seam=seam,
            mining_method=rng.choice(("fully_mechanized", "top_coal_caving")), outburst_risk=grade == "outburst",
        )  # fmt: skip
    if grade != "low_gas":
        drain = p.add(
            "gas_drainage_system", "地面永久瓦斯抽采系统", station_type="surface_permanent", pump_count=None,
            gas_utilisation=rng.random() < 0.5,
        )  # fmt: skip
        for n in range(2):
            p.add(
                "gas_drainage_pump", f"{n + 1}#瓦斯抽采泵", drain, extra=n > 0, model=rng.choice(("2BEC-62", "2BEC-72")),
                standby=n > 0,
            )  # fmt: skip

    def heading(n):
        face = p.add(
            "heading_face", f"{number}{district}{n + 3:02d}轨道顺槽掘进工作面", extra=True, watch=True,
            roadway_type=rng.choice(("coal", "half_coal_rock")), outburst_risk=grade == "outburst",
        )  # fmt: skip
        p.add(
            "local_fan", f"{face.name}局部通风机", face, model=rng.choice(("FBD№6.0/2×30", "FBD№6.3/2×37")),
            installed_location=f"{face.name}进风巷", dual_fan_switchover=True,
        )  # fmt: skip

    vendor, model = rng.choice(PRESSURE_VENDORS)
    extras = [
        lambda: heading(1),
        lambda: heading(2),
        lambda: p.add("air_compressor", "地面压风机", extra=True, compressor_type="screw", underground=False),
        lambda: p.add("belt_conveyor", "主斜井带式输送机", extra=True, watch=True, is_main=True),
        lambda: p.add("hydrological_monitoring_system", "水文监测系统", extra=True, manufacturer=vendor,
                      hydrogeology_type=water),
        lambda: p.add("output_scale", "主井皮带秤", extra=True, scale_type="belt_scale", installed_location="主井井口"),
        lambda: p.add("roof_monitoring_system", "顶板离层监测系统", extra=True, manufacturer=vendor, model=model),
        lambda: p.add("rock_pressure_monitoring_system", "矿压监测系统", extra=True, manufacturer=vendor, model=model),
        lambda: p.add("coal_bunker", "井底煤仓", extra=True, watch=True, capacity_t=rng.randrange(500, 3001, 100),
                      bunker_location="underground"),
        lambda: p.add("man_riding_device", "主斜井架空乘人装置", extra=True, grip_type="fixed"),
        lambda: p.add("auxiliary_transport_vehicle", "无轨胶轮车", extra=True, vehicle_type="rubber_tyred"),
        lambda: p.add("hoist", "副井提升机", extra=True, purpose="auxiliary_shaft", man_riding=True),
    ]  # fmt: skip
    rng.shuffle(extras)
    for extra in extras:
        extra()
    disasters = (
        ["水害", "顶板"] + (["瓦斯"] if grade != "low_gas" else []) + rng.sample(["冲击地压", "煤尘", "自然发火"], 2)
    )
    p.special["coal"] = {
        "mine_type": "underground",
        "gas_grade": grade,
        "hydrogeology": water,
        "design_capacity_10kt": capacity,
        "mining_license_no": f"C37000020{rng.randint(9, 19):02d}{rng.randrange(10**11):011d}",
        "safety_license_no": f"（鲁）MK安许证字〔{rng.randint(2021, 2025)}〕{rng.randint(1, 999):04d}",
        "main_disasters": "、".join(disasters),
    }


PRODUCTION_USES = ("药物混合", "造粒", "装药", "筑药", "插引", "封口", "组装")
WHOLESALE_USES = ("成品检验", "包装整理", "组合包装")


def _build_fireworks(p: _Plant, primary: bool) -> None:
    rng = p.rng
    business = "wholesale" if "批发" in p.plan.name else "production"
    office = p.add("office_area", "办公区", separated_from_hazard_area=True)
    p.add(
        "duty_room", "值班室", office, watch=True, staffed_24h=True, required_on_duty=rng.randint(1, 3),
        duty_leader_required=True,
    )  # fmt: skip
    area = p.add("hazardous_production_area", "危险品生产区", building_count=None)
    uses = rng.sample(PRODUCTION_USES if business == "production" else WHOLESALE_USES, 3)
    for n in range(rng.randint(2, 4)):
        use = uses[n % len(uses)]
        p.add(
            "workshop", f"{n + 1}#{use}工房", area, watch=True, approved_persons=rng.randint(2, 6),
            approved_charge_kg=rng.randrange(20, 301, 10), designed_use=use,
            hazard_class=rng.choice(("1.1-1", "1.1-2", "1.3")) if business == "production" else "1.3",
        )  # fmt: skip
    p.add(
        "transfer_warehouse", "中转库", area, watch=True, approved_persons=2, approved_charge_kg=rng.randrange(200, 1501, 100),
        designed_use=rng.choice(("半成品中转", "药物中转", "成品中转")) if business == "production" else "成品中转",
        hazard_class="1.3",
    )  # fmt: skip
    store = p.add("general_warehouse_area", "危险品总仓库区", warehouse_count=None, total_approved_charge_kg=None)
    categories = {"finished": "成品储存", "semi_finished": "半成品储存", "raw_material": "原材料储存"}
    for n in range(rng.randint(2, 4)):
        category = "finished" if business == "wholesale" else rng.choice(tuple(categories))
        p.add(
            "general_warehouse", f"{n + 1}#总仓库", store, watch=True, approved_persons=rng.randint(2, 6),
            approved_charge_kg=rng.randrange(1000, 8001, 500), designed_use=categories[category],
            hazard_class=rng.choice(("1.3", "1.3", "1.1-2")), storage_category=category,
        )  # fmt: skip
    word = "经许证" if business == "wholesale" else "安许证"
    p.special["fireworks"] = {
        "business": business,
        "license_no": f"（鲁）YH{word}字〔{rng.randint(2022, 2025)}〕{rng.randint(1, 999):04d}号",
        "license_valid_until": _date(rng, *DATES["license_valid_until"]),
    }


def _build_gas_station(p: _Plant, primary: bool) -> None:
    rng = p.rng
    products = [
        ("gasoline", "92#"),
        ("gasoline", "95#"),
        ("diesel", "0#"),
        rng.choice((("gasoline", "98#"), ("diesel", "0#"))),
    ]

    def tank(n, product, grade):
        structure = rng.choices(("double_steel", "double_frp", "steel_frp", "single_steel"), weights=(35, 30, 20, 15))[
            0
        ]
        return p.add(
            "fuel_tank", f"{n}#{grade}{'汽油' if product == 'gasoline' else '柴油'}罐", oil_product=product, grade=grade,
            capacity_m3=rng.choice((20, 25, 30) if product == "gasoline" else (30, 40, 50)), tank_structure=structure,
            buried=True, has_level_gauge=True, has_leak_detection=structure != "single_steel",
        )  # fmt: skip

    tanks = rng.choice((3, 4))
    for n in range(tanks):
        tank(n + 1, *products[n])
    if tanks == 3:
        p.pads.append(lambda: [tank(4, *products[3])])
    lpg = primary and rng.random() < 0.15  # 油气合建站
    if lpg:
        p.add(
            "fuel_tank", "液化石油气储罐", oil_product="other", grade="液化石油气", capacity_m3=rng.choice((10, 20, 30)),
            tank_structure="single_steel", buried=True, has_leak_detection=False, skip_points=("water_level",),
        )  # fmt: skip
    dispensers = rng.randint(4, 8)
    area = p.add(
        "refuelling_area", "加油区", watch=True, island_count=math.ceil(dispensers / 2), dispenser_count=None,
    )  # fmt: skip
    for n in range(dispensers):
        p.add("dispenser", f"{n + 1}#加油机", area, nozzle_count=rng.choice((2, 4, 6, 8)), vapour_recovery=True)
    p.add(
        "unloading_area", "卸油区", watch=True, unloading_points=rng.randint(2, 4), closed_unloading=True,
        has_static_grounding_alarm=True, has_overfill_protection=True,
    )  # fmt: skip
    brand = (
        "中国石化"
        if p.plan.name.startswith("中国石化")
        else "中国石油"
        if p.plan.name.startswith("中国石油")
        else "社会品牌"
    )

    def finish():
        held = p.kept("fuel_tank")
        if lpg:
            rows = []
            for spec in held:
                if spec.attrs["oil_product"] == "diesel":
                    continue  # 柴油 is not a GB 18218 table-1 substance
                label = "液化石油气" if spec.attrs["oil_product"] == "other" else "汽油"
                density, fill = (0.55, 0.85) if label == "液化石油气" else (0.74, 0.9)
                q = Decimal(str(round(spec.attrs["capacity_m3"] * density * fill, 1)))
                rows.append((spec, p.cat.substance(label), label, q))
            p.sources.append(SourceSpec("油气储罐区", [r[0] for r in rows], rows, _population(rng, None)))
        folded = sum(s.attrs["capacity_m3"] / (2 if s.attrs["oil_product"] == "diesel" else 1) for s in held)
        p.special["gas_station"] = {
            "station_grade": "3" if folded <= 90 else "2" if folded <= 150 else "1",
            "tank_total_m3": _tidy(sum(s.attrs["capacity_m3"] for s in held)),
            "dispensers": len(p.kept("dispenser")),
            "brand": brand,
        }

    p.pre_grading.append(finish)


BUILDERS = {
    "hazardous_chemicals": _build_hazardous_chemicals,
    "dust_explosion": _build_dust_explosion,
    "steel": _build_steel,
    "aluminium_casting": _build_aluminium_casting,
    "coal": _build_coal,
    "fireworks": _build_fireworks,
    "gas_station": _build_gas_station,
}


# --- plants: base information and the whole plan -------------------------------------------------


def _base_information(plan: EnterprisePlan, rng: random.Random, province_code: str, county, in_park: bool) -> dict:
    primary, name = plan.industries[0], plan.name
    category = ""
    if "hazardous_chemicals" in plan.industries:
        category = (
            "operation_with_storage"
            if primary == "gas_station"
            else _weighted(rng, {"production": 50, "operation_with_storage": 25, "use_permit": 25})
        )
    if primary == "hazardous_chemicals":
        span = HAZCHEM_EMPLOYEES[category]
    elif primary == "steel" and ("特钢" in name or "钢管" in name):
        span = (300, 3000)
    else:
        span = EMPLOYEES[primary]
    employees = round(_log_uniform(rng, *span))
    above = 0.97 if employees >= 300 else 0.8 if employees >= 100 else 0.45 if employees >= 30 else 0.2
    if name.startswith(("中国石化", "中国石油")):
        economic_type, affiliation = "160", "10"
    else:
        economic_type = _weighted(rng, ECONOMIC_TYPES.get(primary, ECONOMIC_TYPES["default"]))
        if economic_type in STATE_OWNED:
            affiliation = "20" if primary == "coal" else rng.choice(("20", "40", "50"))
        elif economic_type in ("120", "130"):
            affiliation = rng.choice(("50", "62", "63"))
        else:
            affiliation = "90"  # private and foreign-invested companies: 其他
    supervision = "province" if employees >= 8000 else "city" if employees >= 2500 else "county"
    if in_park and supervision == "county":
        supervision = "park"  # the chemical park's regulator
    dust_kinds, dust_workers = [], None
    if "dust_explosion" in plan.industries:
        if primary == "dust_explosion":
            kinds = next((v[0] for k, v in DUST_TRADES.items() if k in name), ("other",))
            dust_kinds = list(kinds[:2] if len(kinds) > 1 and rng.random() < 0.5 else kinds[:1])
            workers = round(_log_uniform(rng, 5, 300))
        else:
            dust_kinds = [rng.choice(SECONDARY_DUST[primary][0])]
            workers = rng.randint(8, 60)
        dust_workers = max(5, min(workers, int(employees * 0.8)))
    return {
        "principal": person_name(rng),
        "principal_phone": mobile(rng),
        "scale": "above_designated" if rng.random() < above else "below_designated",
        "employees": employees,
        "economic_type": economic_type,
        "affiliation": affiliation,
        "supervision_level": supervision,
        "hazchem_category": category,
        "dust_kinds": dust_kinds,
        "dust_workers": dust_workers,
        "monitoring_connected": rng.random() < CONNECTED_SHARE,
        "registration_code": f"{county.code}{rng.randrange(100000):05d}" if category else "",
        "province_code": province_code,
        "special_info": {},
    }


def _plan_plant(plan: EnterprisePlan, province_code: str, geo: _Geography, catalogue: _Catalogue, **flags) -> PlantPlan:
    rng = random.Random(f"{SEED}:plant:{plan.uscc}")
    county, city = geo.county_of(plan.region), geo.city_of(plan.region)
    details = _base_information(plan, rng, province_code, county, plan.region.kind == RegionKind.PARK)
    if plan.uscc in FIXED_DETAILS:
        details.update(FIXED_DETAILS[plan.uscc])
    plant = _Plant(catalogue, rng, plan, details, city, county)
    for industry in plan.industries:
        BUILDERS[industry](plant, industry == plan.industries[0])
    plant.select()
    plant.finish()
    details["special_info"] = {
        code: validate_attributes(
            catalogue.industries[code].special_attributes, plant.special.get(code, {}), field=f"special_info.{code}"
        )
        for code in plan.industries
    }
    cameras = plant.plan_cameras()
    shutdown = None
    if flags.get("shutdown"):
        shutdown = (dt.date(2026, rng.randint(3, 10), rng.randint(1, 28)), rng.choice(SHUTDOWN_REASONS))
    if flags.get("incomplete"):
        gaps = ["principal", "principal_phone", "scale", "employees", "economic_type", "supervision_level"]
        gaps += ["hazchem_category"] if details["hazchem_category"] else []
        gaps += ["dust_kinds", "dust_workers"] if details["dust_kinds"] else []
        for gap in rng.sample(gaps, rng.randint(2, 3)):
            details[gap] = GAP_VALUES.get(gap, "")
    return PlantPlan(plan.uscc, details, plant.facilities, plant.points, plant.sources, cameras, shutdown, catalogue)


def plan_plants(geo: _Geography, plans: list[EnterprisePlan], catalogue: _Catalogue | None = None) -> list[PlantPlan]:
    """Every planned enterprise's plant, in the order of ``plans``; identical on every call."""
    catalogue = catalogue or _Catalogue()
    incomplete = set(random.Random(f"{SEED}:incomplete").sample(range(2, len(plans)), INCOMPLETE_COUNT))
    suspended = [n for n, p in enumerate(plans) if p.status == OperatingStatus.SUSPENDED][:SHUTDOWN_COUNT]
    serials, plants = Counter(), []
    for n, plan in enumerate(plans):
        county = geo.county_of(plan.region).code
        serials[county] += 1
        # County + serial + 0: the cameras' provincial codes (<code>0132<serial>) then carry the GB/T 28181
        # industry code "00" in digits 9–10 and are valid national codes too.
        province_code = f"{county}{serials[county]:02d}0"
        flags = {"incomplete": n in incomplete, "shutdown": n in suspended}
        plants.append(_plan_plant(plan, province_code, geo, catalogue, **flags))
    return plants


# --- plants: writing ----------------------------------------------------------------------------


def _near(origin, prepared, rng: random.Random, radius: float = 0.004):
    """A point within about ``radius`` degrees of ``origin`` and inside the prepared region."""
    if origin is None:
        return None
    for _ in range(24):
        point = Point(
            round(origin.x + rng.uniform(-radius, radius), 6),
            round(origin.y + rng.uniform(-radius, radius), 6),
            srid=4326,
        )
        if prepared is None or prepared.contains(point):
            return point
        radius *= 0.8
    return Point(origin.x, origin.y, srid=4326)


def _ensure_plants(geo: _Geography, plans: list[EnterprisePlan], plants: list[PlantPlan], organisations: dict):
    """Base information, shutdowns, facilities, points, hazard sources, cameras and gateways of every demo
    enterprise; only what is missing (by natural key) is written. Returns (counts, created)."""
    catalogue = plants[0].catalogue if plants else _Catalogue()
    ids = [organisations[plan.uscc].pk for plan in plans]
    enterprises = {e.pk: e for e in Enterprise.objects.filter(pk__in=ids).select_related("organisation")}
    pairs = [(plant, enterprises[pk]) for plant, pk in zip(plants, ids, strict=True)]
    created = {}
    prepared = {}

    def where(enterprise, seed):
        region_id = enterprise.organisation.region_id
        if region_id not in prepared:
            geometry = geo.by_id[region_id].geometry
            prepared[region_id] = geometry.prepared if geometry is not None else None
        return _near(enterprise.location, prepared[region_id], random.Random(seed))

    # Base information of enterprises registered before the demo had it: filled once, while the enterprise
    # has no provincial code.
    now, changed = timezone.now(), []
    for plant, enterprise in pairs:
        if not enterprise.province_code:
            for name in DETAIL_FIELDS:
                setattr(enterprise, name, plant.details[name])
            enterprise.updated_at = now
            changed.append(enterprise)
    Enterprise.objects.bulk_update(changed, [*DETAIL_FIELDS, "updated_at"], batch_size=100)
    created["base_information"] = len(changed)

    stopped = set(Shutdown.objects.filter(enterprise_id__in=ids).values_list("enterprise_id", flat=True))
    shutdowns = [
        Shutdown(enterprise=enterprise, starts_on=plant.shutdown[0], reason=plant.shutdown[1])
        for plant, enterprise in pairs
        if plant.shutdown and enterprise.pk not in stopped
    ]
    Shutdown.objects.bulk_create(shutdowns)
    created["shutdowns"] = len(shutdowns)

    # Facilities, level by level so that parents have their ids.
    facility_ids = {
        (e, c): pk
        for e, c, pk in Facility.objects.filter(enterprise_id__in=ids).values_list("enterprise_id", "code", "pk")
    }
    kinds, new_facilities = catalogue.kinds, 0
    for depth in range(max(s.depth for plant in plants for s in plant.facilities) + 1):
        batch = [
            Facility(
                enterprise=enterprise,
                kind=kinds[spec.kind],
                parent_id=facility_ids[(enterprise.pk, spec.parent.code)] if spec.parent else None,
                code=spec.code,
                name=spec.name,
                attributes=spec.attrs,
                location=where(enterprise, f"{plant.uscc}:{spec.code}"),
            )
            for plant, enterprise in pairs
            for spec in plant.facilities
            if spec.depth == depth and (enterprise.pk, spec.code) not in facility_ids
        ]
        for facility in Facility.objects.bulk_create(batch, batch_size=1000):
            facility_ids[(facility.enterprise_id, facility.code)] = facility.pk
        new_facilities += len(batch)
    created["facilities"] = new_facilities

    have = set(MonitoringPoint.objects.filter(enterprise_id__in=ids).values_list("enterprise_id", "code"))
    points = [
        MonitoringPoint(
            enterprise=enterprise,
            facility_id=facility_ids[(enterprise.pk, point.facility.code)],
            kind=catalogue.measurements[point.kind],
            code=point.code,
            name=point.name,
            unit=point.unit,
            bit_number=point.bit_number,
            period_s=point.period_s,
            position=point.facility.name,
            **point.values,
        )
        for plant, enterprise in pairs
        for point in plant.points
        if (enterprise.pk, point.code) not in have
    ]
    MonitoringPoint.objects.bulk_create(points, batch_size=2000)
    created["points"] = len(points)

    # Hazard sources, graded in planning by apps.hazards.services.assess (what ``reassess`` stores).
    have = set(HazardSource.objects.filter(enterprise_id__in=ids).values_list("enterprise_id", "code"))
    planned = [(s, e) for plant, e in pairs for s in plant.sources if (e.pk, s.code) not in have]
    sources = HazardSource.objects.bulk_create(
        [
            HazardSource(
                enterprise=enterprise,
                code=source.code,
                name=source.name,
                exposed_population=source.exposed_population,
                s_value=source.assessment.s,
                r_value=source.assessment.r,
                alpha=source.assessment.alpha,
                is_major=source.assessment.is_major,
                level=source.assessment.level,
                terms=[t.as_dict() for t in source.assessment.terms],
                assessed_at=now,
                **source.details,
            )
            for source, enterprise in planned
        ]
    )
    through = HazardSource.facilities.through
    through.objects.bulk_create(
        [
            through(hazardsource_id=row.pk, facility_id=facility_ids[(enterprise.pk, f.code)])
            for row, (source, enterprise) in zip(sources, planned, strict=True)
            for f in source.facilities
        ]
    )
    HazardSourceSubstance.objects.bulk_create(
        [
            HazardSourceSubstance(
                hazard_source=row,
                facility_id=facility_ids[(enterprise.pk, spec.code)],
                substance=substance,
                label=label,
                quantity_t=quantity,
            )
            for row, (source, enterprise) in zip(sources, planned, strict=True)
            for spec, substance, label, quantity in source.rows
        ]
    )
    created["hazard_sources"] = len(sources)

    # Cameras: provincial enterprise code + "0132" + serial (004 A5 table 4).
    wanted = [
        (f"{e.province_code}0132{serial:07d}", name, spec, position, plant, e)
        for plant, e in pairs
        if len(e.province_code) == 9 and e.province_code.isdigit()
        for serial, name, spec, position in plant.cameras
    ]
    have = set(Camera.objects.filter(code__in=[w[0] for w in wanted]).values_list("code", flat=True))
    cameras = [
        Camera(
            enterprise=enterprise,
            facility_id=facility_ids.get((enterprise.pk, spec.code)) if spec else None,
            code=code,
            name=name,
            position=position,
            location=where(enterprise, f"{plant.uscc}:camera:{code}"),
        )
        for code, name, spec, position, plant, enterprise in wanted
        if code not in have
    ]
    Camera.objects.bulk_create(cameras)
    created["cameras"] = len(cameras)

    # One gateway per connected enterprise; its secret is kept only encrypted (as create_gateway does).
    wanted = {f"gw-{e.province_code}": e for _, e in pairs if e.monitoring_connected and e.province_code}
    have = set(Gateway.objects.filter(gateway_id__in=list(wanted)).values_list("gateway_id", flat=True))
    gateways = []
    for gateway_id, enterprise in wanted.items():
        if gateway_id not in have:
            secret = secrets.token_urlsafe(32)
            gateways.append(
                Gateway(
                    enterprise=enterprise,
                    gateway_id=gateway_id,
                    name=f"{enterprise.organisation.name}数据采集网关",
                    secret_encrypted=secret_store.encrypt(secret),
                    secret_hint=secret[:4],
                )
            )
    Gateway.objects.bulk_create(gateways)
    created["gateways"] = len(gateways)
    return _plant_counts(ids), created


def _plant_counts(ids: list[int]) -> dict:
    levels = dict(
        HazardSource.objects.filter(enterprise_id__in=ids, is_major=True)
        .values("level")
        .annotate(n=Count("pk"))
        .values_list("level", "n")
    )
    return {
        "facilities": Facility.objects.filter(enterprise_id__in=ids).count(),
        "points": MonitoringPoint.objects.filter(enterprise_id__in=ids).count(),
        "hazard_sources": {
            **{str(level): levels.get(level, 0) for level in (1, 2, 3, 4)},
            "not_major": HazardSource.objects.filter(enterprise_id__in=ids, is_major=False).count(),
        },
        "cameras": Camera.objects.filter(enterprise_id__in=ids).count(),
        "gateways": Gateway.objects.filter(enterprise_id__in=ids).count(),
        "shutdowns": Shutdown.objects.filter(enterprise_id__in=ids).count(),
    }


# --- risk: inherent-risk self-assessments, indicator reports, grading, the demo enterprise's warning ---
# A handful of enterprises record an inherent-risk self-assessment (评估诊断分级; one finds a one-vote-red
# condition) and report management indicators, all through the risk services; then every enterprise is
# graded. The demo enterprise then reports poorer figures and has an accident and a violation on record:
# its level rises and the grading raises its warning (预警), so the pages show the loop from the start.

RISK_ASSESSED = 4  # hazardous-chemical enterprises with a self-assessment, besides the two fixed ones
RISK_REPORTING = 10  # enterprises reporting management indicators, besides those
VETO = "no_design_diagnosis"  # 在役化工装置未经正规设计且未进行安全设计诊断
DEMO_ASSESSMENT = {  # the demo enterprise's self-assessment: 81.7 points with its level-3 hazard source
    "key_supervised": 3,
    "hazardous_process": 2,
    "class_a_building": 3,
    "outside_park": 1,
    "special_equipment_uninspected": 1,
}
DEMO_REPORT = {  # and its latest management indicators (管理指标填报)
    "training.plan_rate": 60,
    "training.certified_rate": 86,
    "awareness.test_score": 68,
    "behaviour.violations": 8,
    "control.measures_rate": 68,
    "hidden_danger.rectified_rate": 55,
    "hazard.responsibility_rate": 78,
    "inspection.special_equipment_rate": 82,
    "inspection.calibration_rate": 68,
    "change.executed_rate": 75,
    "emergency.plan_filed": 1,
    "emergency.drill_rate": 45,
    "checks.rectified_rate": 58,
    "accidents.count_1y": 1,
    "accidents.near_miss_1y": 3,
}
# (days ago, kind, severity, description) recorded by the city's regulator (jinan_staff).
DEMO_INCIDENTS = (
    (40, "accident", "general", "2#罐区甲醇储罐呼吸阀附近物料泄漏引发闪燃，现场人员及时处置，无人员伤亡"),
    (15, "violation", "", "执法检查查实：动火作业前未按规定进行气体分析"),
)


ANALYSED_AFTER_LOAD = (
    "accounts_organisation",
    "enterprises_enterprise",
    "enterprises_enterprise_industries",
    "facilities_facility",
    "monitoring_monitoringpoint",
    "monitoring_pointstate",
    "monitoring_alarm",
    "hazards_hazardsource",
    "risk_staticassessment",
    "risk_indicatorrecord",
    "risk_enterpriserisk",
)


def _indicator_value(rng: random.Random, code: str, spec: dict) -> float:
    """A plausible reported value of a management indicator."""
    if code == "emergency.plan_filed":
        return 1 if rng.random() < 0.9 else 0
    if code == "coal.inherent_risk":
        return rng.randint(20, 65)
    if spec["unit"] == "%":
        return rng.randint(70, 100)
    if spec["unit"] == "分":
        return rng.randint(62, 96)
    return rng.choice((0, 0, 0, 1, 2))  # counts: violations, accidents, exceedances


def _reported_indicators() -> dict[str, list[str]]:
    """Industry → the management indicators its model in force reads."""
    from apps.risk import engine
    from apps.risk.models import RiskModel

    result = {}
    for model in RiskModel.objects.filter(is_active=True, kind="enterprise").select_related(
        "industry", "current_version"
    ):
        if model.industry and model.current_version:
            leaves = engine.leaves(model.current_version.definition)
            result[model.industry.code] = [
                leaf["params"]["indicator"] for leaf in leaves if leaf["source"] == "records.value"
            ]
    return result


def _ensure_risk(plans: list[EnterprisePlan], organisations: dict, say) -> dict:
    """Self-assessments and indicator reports of a handful of enterprises, every enterprise's current
    risk, and the demo enterprise's open warning. Returns counts; a second run adds nothing."""
    from apps.risk.models import EnterpriseRisk, IndicatorRecord, StaticAssessment, Warning
    from apps.risk.services import grading, inputs, patrols
    from apps.risk.services.catalogue import record_indicators

    rng = random.Random(f"{SEED}:risk")
    today = timezone.localdate()
    catalogue = record_indicators()
    reported = _reported_indicators()
    others = plans[2:]  # not the two fixed enterprises
    hazchem = [p for p in others if p.industries[0] == "hazardous_chemicals"]
    assessed = [QINGDAO_ENTERPRISE_USCC] + [p.uscc for p in rng.sample(hazchem, RISK_ASSESSED)]
    # Fireworks and gas-station models read no reported indicator (yet): not among the reporters.
    candidates = [p for p in others if p.industries[0] not in ("fireworks", "gas_station") and p.uscc not in assessed]
    reporting = assessed + [p.uscc for p in rng.sample(candidates, RISK_REPORTING)]
    enterprises = {
        e.pk: e for e in Enterprise.objects.filter(organisation__uscc__in=reporting + [DEMO_ENTERPRISE_USCC])
    }
    have_assessment = set(
        StaticAssessment.objects.filter(enterprise__in=enterprises).values_list("enterprise_id", flat=True)
    )
    have_report = set(
        IndicatorRecord.objects.filter(enterprise__in=enterprises).values_list("enterprise_id", flat=True)
    )
    created = {"inherent_risk_assessments": 0, "indicator_reports": 0, "incidents": 0, "warnings": 0}
    plan_of = {p.uscc: p for p in plans}
    for uscc in assessed:  # values drawn whether written or not, so each enterprise's stay the same
        enterprise = enterprises[organisations[uscc].pk]
        items = {
            "key_supervised": rng.randint(1, 4),
            "hazardous_process": rng.randint(0, 3),
            "class_a_building": rng.randint(1, 4),
            "outside_park": 0 if plan_of[uscc].region.kind == RegionKind.PARK else 1,
            "eliminated_equipment": rng.choice((0, 0, 1)),
        }
        days_ago = rng.randint(30, 200)
        if enterprise.pk in have_assessment:
            continue
        inputs.record_static_assessment(
            enterprise,
            items={k: v for k, v in items.items() if v},
            vetoes=[VETO] if uscc == assessed[1] else [],
            assessed_on=today - dt.timedelta(days=days_ago),
            note="年度安全风险评估诊断分级自评",
        )
        created["inherent_risk_assessments"] += 1
    for uscc in reporting:
        enterprise = enterprises[organisations[uscc].pk]
        codes = [c for c in reported.get(plan_of[uscc].industries[0], []) if c in catalogue]
        values = {code: _indicator_value(rng, code, catalogue[code]) for code in codes}
        days_ago = rng.randint(5, 60)
        if enterprise.pk in have_report or not values:
            continue
        inputs.record_indicators_values(enterprise, values, period=today - dt.timedelta(days=days_ago))
        created["indicator_reports"] += 1

    # Statistics for the planner after a bulk load: tables analysed while empty (a fresh database, or a
    # test database flushed by earlier tests) would otherwise be joined as if they held one row.
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ANALYSED_AFTER_LOAD:
            cursor.execute(f"ANALYZE {table}")
    graded = grading.regrade(trigger="periodic")

    demo = enterprises[organisations[DEMO_ENTERPRISE_USCC].pk]
    if not (
        Warning.objects.filter(enterprise=demo).exists() or StaticAssessment.objects.filter(enterprise=demo).exists()
    ):
        # The story, through the same services as the portal and the API: the enterprise's safety manager
        # records the self-assessment and the month's indicators, the city's regulator the incidents.
        safety, regulator = User.objects.get(username="ent_safety"), User.objects.get(username="jinan_staff")
        inputs.record_static_assessment(
            demo,
            items=DEMO_ASSESSMENT,
            vetoes=[],
            assessed_on=today - dt.timedelta(days=20),
            note="年度安全风险评估诊断分级自评",
            actor=safety,
        )
        inputs.record_indicators_values(demo, DEMO_REPORT, period=today - dt.timedelta(days=3), actor=safety)
        for days_ago, kind, severity, description in DEMO_INCIDENTS:
            patrols.record_incident(
                demo,
                actor=regulator,
                kind=kind,
                severity=severity,
                occurred_on=today - dt.timedelta(days=days_ago),
                description=description,
            )
            created["incidents"] += 1
        # What the debounced regrade these records asked for does; run now so the warning is there.
        created["warnings"] = grading.regrade([demo.pk], trigger="event")["rises"]
    ids = [organisations[p.uscc].pk for p in plans]
    levels = Counter(EnterpriseRisk.objects.filter(enterprise__in=ids).values_list("level", flat=True))
    open_warnings = Warning.objects.open().filter(enterprise__in=ids).count()
    say(
        "risk: "
        + ", ".join(
            f"{name} {levels.get(code, 0)}" for code, name in ((1, "red"), (2, "orange"), (3, "yellow"), (4, "blue"))
        )
        + f"; open warnings: {open_warnings} ({created['warnings']} new); self-assessments "
        f"{created['inherent_risk_assessments']} new, indicator reports {created['indicator_reports']} new"
    )
    return {
        "risk_levels": {str(code): levels.get(code, 0) for code in (1, 2, 3, 4)},
        "open_warnings": open_warnings,
        "graded": graded["graded"],
        "created": created,
    }


@transaction.atomic
def build_demo_province(stdout=None, *, reset_passwords: bool = False) -> dict:
    """Create the demo province; rows that already exist (by natural key) are left alone.

    ``reset_passwords`` sets every demo login's password back to ``DEMO_PASSWORD``.
    """

    def say(message):
        if stdout is not None:
            stdout.write(message)

    if not Region.objects.filter(code=PROVINCE_CODE).exists():
        raise ReferenceDataMissing()
    if set(Industry.objects.values_list("code", flat=True)) < set(INDUSTRY_QUOTAS):
        raise ReferenceDataMissing()
    _ensure_roles()
    geo = _Geography()
    regulators, new_regulators = _ensure_regulators(geo)
    say(f"regulators: {len(regulators)} ({new_regulators} new)")
    others, new_others = _ensure_other_organisations(geo)
    say(f"committee member, service provider, rescue team: {new_others} new")
    plans = plan_enterprises(geo)
    plant_plans = plan_plants(geo, plans)
    enterprises, new_enterprises = _ensure_enterprises(geo, plans, {p.uscc: p.details for p in plant_plans})
    say(f"enterprises: {len(enterprises)} ({new_enterprises} new)")
    plants, new_plant_rows = _ensure_plants(geo, plans, plant_plans, enterprises)
    say(
        f"base information: filled in on {new_plant_rows['base_information']} earlier enterprises; "
        f"shutdowns in force: {plants['shutdowns']} ({new_plant_rows['shutdowns']} new)"
    )
    say(f"facilities: {plants['facilities']} ({new_plant_rows['facilities']} new)")
    say(f"monitoring points: {plants['points']} ({new_plant_rows['points']} new)")
    levels = plants["hazard_sources"]
    say(
        f"hazard sources: {sum(levels.values())} ({new_plant_rows['hazard_sources']} new) — level 1: {levels['1']}, "
        f"2: {levels['2']}, 3: {levels['3']}, 4: {levels['4']}, not major: {levels['not_major']}"
    )
    say(f"cameras: {plants['cameras']} ({new_plant_rows['cameras']} new)")
    say(f"gateways: {plants['gateways']} ({new_plant_rows['gateways']} new)")
    organisations = {
        "province": regulators[(str(RegulatorLevel.PROVINCE), PROVINCE_CODE)],
        "enterprise": enterprises[DEMO_ENTERPRISE_USCC],
        "qingdao_enterprise": enterprises[QINGDAO_ENTERPRISE_USCC],
        **others,
    }
    organisations.update({f"{level}:{code}": org for (level, code), org in regulators.items()})
    logins, new_users = _ensure_users(organisations, reset_passwords)
    say(f"users: {len(logins)} ({new_users} new)")
    # Received dual-prevention data feed the risk model (overdue hidden dangers): load it before grading.
    from .demo_exchange import ensure_exchange

    exchange = ensure_exchange(DEMO_ENTERPRISE_USCC, say)
    risk = _ensure_risk(plans, enterprises, say)
    return {
        "regulators": len(regulators),
        "organisations": len(regulators) + len(others) + len(enterprises),
        "enterprises": len(enterprises),
        "users": len(logins),
        **plants,
        "created": {
            "regulators": new_regulators,
            "other_organisations": new_others,
            "enterprises": new_enterprises,
            "users": new_users,
            **new_plant_rows,
            **risk["created"],
            "exchange_records": exchange["created"],
        },
        "risk_levels": risk["risk_levels"],
        "open_warnings": risk["open_warnings"],
        "exchange_clients": exchange["clients"],
        "logins": logins,
        "password": DEMO_PASSWORD,
    }
