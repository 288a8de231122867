"""A demo province (演示数据) on the loaded Shandong regions: regulators at every level, 200 enterprises
across the seven supervised industries, and one login per role.

Everything is deterministic (seeded ``random.Random``) and matched on natural keys, so building it
again creates nothing: regulators by (kind, level, region), other organisations and enterprises by
USCC, users by username. Used by ``manage.py seed_demo`` and by tests that want a populated platform.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.contrib.gis.geos import Point
from django.db import transaction

from apps.accounts.models import Organisation, OrganisationKind, RegulatorLevel, Role, User
from apps.accounts.roles import ROLE_DEFINITIONS
from apps.accounts.validators import USCC_CHARSET, uscc_check_character, uscc_error
from apps.core.exceptions import DomainError
from apps.enterprises.models import Enterprise, Industry, OperatingStatus
from apps.regions.models import Region, RegionKind

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


def _ensure_enterprises(geo: _Geography) -> tuple[dict, int]:
    """USCC → organisation for every planned enterprise; creates the missing ones."""
    plans = plan_enterprises(geo)
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
    enterprises, new_enterprises = _ensure_enterprises(geo)
    say(f"enterprises: {len(enterprises)} ({new_enterprises} new)")
    organisations = {
        "province": regulators[(str(RegulatorLevel.PROVINCE), PROVINCE_CODE)],
        "enterprise": enterprises[DEMO_ENTERPRISE_USCC],
        "qingdao_enterprise": enterprises[QINGDAO_ENTERPRISE_USCC],
        **others,
    }
    organisations.update({f"{level}:{code}": org for (level, code), org in regulators.items()})
    logins, new_users = _ensure_users(organisations, reset_passwords)
    say(f"users: {len(logins)} ({new_users} new)")
    return {
        "regulators": len(regulators),
        "organisations": len(regulators) + len(others) + len(enterprises),
        "enterprises": len(enterprises),
        "users": len(logins),
        "created": {
            "regulators": new_regulators,
            "other_organisations": new_others,
            "enterprises": new_enterprises,
            "users": new_users,
        },
        "logins": logins,
        "password": DEMO_PASSWORD,
    }
