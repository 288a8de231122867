"""The demo province's received exchange data (数据交换): a dozen hazardous-chemicals enterprises
report their dual-prevention lists, hidden dangers, special works, positioning and video data through
their vendors' systems, each with an exchange client, through the same receiver as the real
endpoint. One enterprise sends records with mistakes, a few are late, one never reported, so the
quality views have something to show. A second run adds nothing."""

from __future__ import annotations

import datetime as dt
import random
import uuid

from django.utils import timezone

from apps.enterprises.models import Enterprise
from apps.exchange import receiver, services, specs
from apps.exchange.models import ExchangeClient, Partner, Subscription, UploadStat
from apps.exchange.validation import format_datetime
from apps.hazards.models import HazardSource

REPORTING = 12  # enterprises reporting through the exchange
NAMESPACE = uuid.UUID("6f1f3c1e-5a0c-4d5e-9a51-20261207aa06")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

UNITS = ("罐区", "装置区", "仓库", "装卸站台")
EVENTS = ("储罐泄漏", "超压", "火灾", "中毒窒息")
MEASURES = (
    ("1", "1-4", "液位高高联锁投用", "检查液位高高联锁是否投用"),
    ("1", "1-1", "温度、压力控制在工艺指标内", "检查DCS温度压力记录"),
    ("2", "2-2", "储罐及管线定期检测", "检查储罐外观及腐蚀情况"),
    ("3", "3-3", "交接班记录完整", "检查交接班记录"),
    ("4", "4-2", "配备正压式空气呼吸器", "检查空气呼吸器压力"),
    ("4", "4-3", "消防炮、喷淋完好", "检查消防设施完好情况"),
)
HAZARDS = (
    ("液位计显示失准", "4", "仪表校验过期", 0),
    ("消防通道堆放杂物", "5", "现场管理不到位", 0),
    ("可燃气体报警器未定期标定", "4", "标定计划未执行", 0),
    ("泵密封轻微渗漏", "7", "密封老化", 0),
)
WORKS = (("12", "管线动火焊接"), ("21", "储罐内部检查"), ("42", "管廊高处检修"), ("61", "检修临时用电"))
PEOPLE = ("张伟", "王芳", "李强", "刘洋", "陈静", "杨帆", "赵磊", "黄敏")


def _id(*parts) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join(str(p) for p in parts)))


def _data_url(content: bytes, media_type: str) -> str:
    import base64

    return f"data:{media_type};base64,{base64.b64encode(content).decode()}"


def _records(enterprise, sources, rng: random.Random, now: dt.datetime) -> dict[str, list[dict]]:
    """One enterprise's tables, dated around ``now`` (Beijing)."""
    at = lambda hours: format_datetime(now - dt.timedelta(hours=hours))  # noqa: E731
    e = enterprise.pk
    out = {name: [] for name in ("risk-units", "risk-events", "control-measures", "check-tasks", "check-records")}
    out.update({"hazards": [], "special-works": [], "positioning-alarms": []})
    out.update({"video-devices": [], "video-device-status": [], "video-alarms": []})
    for u, source in enumerate(sources):
        unit = _id(e, "unit", u)
        out["risk-units"].append(
            {
                "ID": unit,
                "HAZARD_CODE": source.code,
                "HAZARD_DEP": "生产部",
                "HAZARD_LIABLE_PERSON": rng.choice(PEOPLE),
                "RISK_UNIT_NAME": f"{source.name}{UNITS[u % len(UNITS)]}"[:200],
                "DELETED": "0",
            }
        )
        for v in range(2):
            event = _id(e, "event", u, v)
            out["risk-events"].append(
                {"ID": event, "RISK_UNIT_ID": unit, "RISK_EVENT_NAME": EVENTS[(u + v) % len(EVENTS)], "DELETED": "0"}
            )
            for w in range(2):
                measure = _id(e, "measure", u, v, w)
                c1, c2, desc, content = MEASURES[(u + v * 2 + w) % len(MEASURES)]
                out["control-measures"].append(
                    {
                        "ID": measure,
                        "RISK_EVENT_ID": event,
                        "DATA_SRC": "1" if c1 == "1" else "2",
                        "RISK_MEASURE_DESC": desc,
                        "CLASSIFY1": c1,
                        "CLASSIFY2": c2,
                        "TROUBLESHOOT_CONTENT": content,
                        "DELETED": "0",
                    }
                )
                task = _id(e, "task", u, v, w)
                cycle, unit_name = rng.choice(((8, "小时"), (1, "天"), (1, "月")))
                out["check-tasks"].append(
                    {
                        "ID": task,
                        "RISK_MEASURE_ID": measure,
                        "TROUBLESHOOT_CONTENT": content,
                        "CHECK_CYCLE": cycle,
                        "CHECK_CYCLE_UNIT": unit_name,
                        "INVESTIGATION_DATE": at(rng.randint(1, 20)),
                        "CHECK_STATUS": rng.choice("0000001"),
                        "DELETED": "0",
                    }
                )
                for r in range(2):
                    out["check-records"].append(
                        {
                            "ID": _id(e, "record", u, v, w, r),
                            "CHECK_TASK_ID": task,
                            "CHECK_TIME": at(8 * r + rng.randint(1, 6)),
                            "CHECK_STATUS": rng.choice("00001"),
                            "DELETED": "0",
                        }
                    )
    measures = [m["ID"] for m in out["control-measures"]]
    for h, (name, kind, reason, level) in enumerate(HAZARDS[: rng.randint(2, 4)]):
        state = (0, 1, 9, 0)[h]
        overdue = h == 3 or (h == 0 and rng.random() < 0.5)
        record = {
            "ID": _id(e, "hazard", h),
            "HAZARD_CODE": sources[h % len(sources)].code,
            "RISK_MEASURE_ID": measures[h % len(measures)],
            "DANGER_NAME": name,
            "DANGER_LEVEL": level,
            "REGIST_TIME": at(24 * (h + 2)),
            "REGISTRANT": rng.choice(PEOPLE),
            "DANGER_SRC": str(rng.choice((1, 1, 2, 3, 4, 9))),
            "DANGER_MANAGE_TYPE": 1,
            "HAZARD_DANGER_TYPE": int(kind),
            "DANGER_DESC": f"{name}，需限期整改",
            "DANGER_REASON": reason,
            "LIABLE_PERSON": rng.choice(PEOPLE),
            "DANGER_MANAGE_DEADLINE": at(-72 if not overdue else 30),
            "DANGER_STATE": state,
            "DELETED": "0",
        }
        if state == 9:
            record.update(
                CHECK_ACCEPT_PERSON=rng.choice(PEOPLE), CHECK_ACCEPT_TIME=at(2), CHECK_ACCEPT_COMMENT="整改到位"
            )
        out["hazards"].append(record)
    today = timezone.localdate(now)
    for k, (code, content) in enumerate(WORKS[: rng.randint(1, 3)]):
        begin = dt.datetime.combine(today, dt.time(8 + 2 * k, 30), tzinfo=now.tzinfo)
        out["special-works"].append(
            {
                "ID": _id(e, "work", today, k),
                "COMPANY_CODE": enterprise.organisation.uscc,
                "TASK_DATE": today.isoformat(),
                "TASK_TYPE": code,
                "TASK_POSITION": f"{UNITS[k % len(UNITS)]}",
                "TASK_BEGIN_TIME": format_datetime(begin),
                "TASK_END_TIME": format_datetime(begin + dt.timedelta(hours=4)),
                "IS_CONTRACTOR_TASK": "1" if k % 2 else "0",
                "TASK_UNIT": "山东某安装工程有限公司" if k % 2 else "本单位维修车间",
                "MAJOR_PERSON": rng.choice(PEOPLE),
                "MAJOR_PERSON_MOBILE": f"138{rng.randint(10000000, 99999999)}",
                "TASK_CONTENT": content,
                "IS_CHANGED": "0",
                "IS_CANCELLED": "0",
                "FILE": _data_url(PDF, "application/pdf"),
            }
        )
    alarm = _id(e, "sos")
    out["positioning-alarms"].append(
        {
            "id": alarm,
            "CARD_NO": f"C{e:06d}01",
            "realName": rng.choice(PEOPLE),
            "type": "alarm",
            "time": at(5),
            "alarmInfo": "越界报警：进入受限区域",
            "alarmType": "03",
            "alarmLocation": "罐区A",
            "floorNo": "1",
        }
    )
    if enterprise.province_code:
        for d in range(2):
            device = f"{enterprise.province_code}-BOX{d + 1}"
            out["video-devices"].append(
                {
                    "DEVICE_ID": _id(e, "device", d),
                    "DEVICE_CODE": device,
                    "COMPANY_CODE": enterprise.organisation.uscc,
                    "DEVICE_NAME": f"智能视频分析设备{d + 1}",
                    "DEVICE_DESC": "罐区、装卸站台",
                }
            )
        out["video-alarms"].append(
            {
                "ALARM_ID": _id(e, "video", 1),
                "ALARM_TYPE": rng.choice(("8", "7", "9")),
                "ALARM_STATUS": "1",
                "ALARM_TIME": at(3),
                "DEVICE_CODE": f"{enterprise.province_code}-BOX1",
                "VIDEO_CODE": f"{enterprise.province_code}0132{rng.randint(1, 9999999):07d}",
                "ALARM_IMAGE": _data_url(PNG, "image/png"),
            }
        )
    return out


def _status_records(enterprise, now, abnormal: bool) -> list[dict]:
    return [
        {
            "DEVICE_CODE": f"{enterprise.province_code}-BOX{d + 1}",
            "DATE_TIME": format_datetime(now - dt.timedelta(minutes=10 * step)),
            "RUN_STATUS": "0" if abnormal and d == 1 and step == 0 else "1",
        }
        for d in range(2)
        for step in range(3)
    ]


MISTAKES = {
    "hazards": {"DANGER_SRC": "12", "DANGER_STATE": 9},  # an unknown source; accepted without acceptance
    "special-works": {"TASK_TYPE": "14"},  # not a sub-type code
    "check-records": {"CHECK_TIME": "2026/12/01 10:00"},
}
ORDER = (
    "risk-units",
    "risk-events",
    "control-measures",
    "check-tasks",
    "check-records",
    "hazards",
    "special-works",
    "positioning-alarms",
    "video-devices",
    "video-device-status",
    "video-alarms",
)


def ensure_exchange(demo_uscc: str, say) -> dict:
    if ExchangeClient.objects.filter(name__startswith="demo:").exists():
        return {"clients": ExchangeClient.objects.filter(name__startswith="demo:").count(), "created": 0}
    rng = random.Random("demo:exchange")
    candidates = list(
        Enterprise.objects.filter(industries__code="hazardous_chemicals", deleted=False, hazard_sources__isnull=False)
        .select_related("organisation__region")
        .distinct()
        .order_by("organisation__uscc")
    )
    demo = next((e for e in candidates if e.organisation.uscc == demo_uscc), None)
    chosen = ([demo] if demo else []) + rng.sample([e for e in candidates if e is not demo], REPORTING)
    sources = {}
    for source in HazardSource.objects.filter(enterprise__in=chosen, deleted=False).order_by("code"):
        sources.setdefault(source.enterprise_id, []).append(source)
    now = timezone.localtime()
    received = 0
    for n, enterprise in enumerate(chosen):
        client, _token = services.create_client(
            None,
            name=f"demo:{enterprise.organisation.uscc}",
            enterprise=enterprise,
            expected_datasets=["risk-units", "hazards", "special-works"],
        )
        tables = _records(enterprise, sources[enterprise.pk][:3], rng, now)
        if enterprise.province_code:
            tables["video-device-status"] = _status_records(enterprise, now, abnormal=n % 4 == 1)
        for dataset in ORDER:
            records = tables[dataset]
            if n == 2 and dataset in MISTAKES:  # one vendor's system sends a few broken records
                records = records + [{**records[0], "ID": _id(enterprise.pk, "bad", dataset), **MISTAKES[dataset]}]
            if records:
                received += receiver.receive(client, dataset, records).created
    # A few enterprises stopped uploading a day and a half ago, and one never started.
    late = [e.pk for e in chosen[3:6]]
    UploadStat.objects.filter(enterprise_id__in=late).update(last_upload_at=now - dt.timedelta(hours=36))
    silent = next(e for e in candidates if e not in chosen)
    services.create_client(
        None, name=f"demo:{silent.organisation.uscc}", enterprise=silent, expected_datasets=["risk-units", "hazards"]
    )
    _ensure_ministry()
    say(f"exchange: {len(chosen) + 1} clients, {received} records received; the ministry partner is paused")
    return {"clients": len(chosen) + 1, "created": received}


SCHEDULES = {"daily": Subscription.Schedule.DAILY, "hourly": Subscription.Schedule.HOURLY}


def _ensure_ministry():
    """The ministry (应急管理部) as a partner with the five national datasets subscribed, paused until
    ops give it the real endpoint and token: its lanes fill, the ops page shows the backlog."""
    ministry, _created = Partner.objects.get_or_create(
        name="应急管理部（国家平台）",
        defaults={"kind": Partner.Kind.MINISTRY, "base_url": "https://ministry.example.invalid/", "enabled": False},
    )
    for name in specs.names("national"):
        schedule = SCHEDULES.get(specs.get(name).frequency_class, Subscription.Schedule.DAILY)
        Subscription.objects.get_or_create(partner=ministry, dataset=name, defaults={"schedule": schedule})
