"""Valid sample records of every exchange table, and clients to send them."""

from __future__ import annotations

import base64
import datetime as dt
import uuid

from apps.enterprises.tests.factories import enterprise as make_enterprise
from apps.exchange import services

# Smallest valid files of each allowed type (their magic numbers are what the receiver checks).
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF = b"%PDF-1.4\n%%EOF\n"
GIF = b"GIF89a" + b"\x00" * 32
DOCX = b"PK\x03\x04" + b"\x00" * 32


def data_url(content: bytes, media_type: str = "image/png") -> str:
    return f"data:{media_type};base64,{base64.b64encode(content).decode()}"


def new_id() -> str:
    return str(uuid.uuid4())


def client_for(enterprise=None, *, region=None, name=None, datasets=()):
    """An exchange client and its token."""
    return services.create_client(
        None,
        name=name or f"client-{uuid.uuid4().hex[:8]}",
        enterprise=enterprise,
        region=region,
        expected_datasets=datasets,
    )


def enterprise(region_code="370102", **kwargs):
    return make_enterprise(region_code, **kwargs)


NOW = "2026-12-01 09:30:00"
LATER = "2026-12-01 10:30:00"


def risk_unit(**overrides):
    return {
        "ID": new_id(),
        "HAZARD_CODE": "HZ-370102-0001",
        "HAZARD_DEP": "生产一车间",
        "HAZARD_LIABLE_PERSON": "张三",
        "RISK_UNIT_NAME": "1号罐区",
        "DELETED": "0",
        **overrides,
    }


def risk_event(unit_id, **overrides):
    return {"ID": new_id(), "RISK_UNIT_ID": unit_id, "RISK_EVENT_NAME": "储罐泄漏", "DELETED": "0", **overrides}


def control_measure(event_id, **overrides):
    return {
        "ID": new_id(),
        "RISK_EVENT_ID": event_id,
        "DATA_SRC": "2",
        "RISK_MEASURE_DESC": "液位高高联锁",
        "CLASSIFY1": "1",
        "CLASSIFY2": "1-4",
        "CLASSIFY3": "联锁",
        "TROUBLESHOOT_CONTENT": "检查液位联锁投用情况",
        "DELETED": "0",
        **overrides,
    }


def check_task(measure_id, **overrides):
    return {
        "ID": new_id(),
        "RISK_MEASURE_ID": measure_id,
        "TROUBLESHOOT_CONTENT": "检查液位联锁投用情况",
        "CHECK_CYCLE": 8,
        "CHECK_CYCLE_UNIT": "小时",
        "INVESTIGATION_DATE": NOW,
        "CHECK_STATUS": "0",
        "DELETED": "0",
        **overrides,
    }


def check_record(task_id, **overrides):
    return {
        "ID": new_id(),
        "CHECK_TASK_ID": task_id,
        "CHECK_TIME": NOW,
        "CHECK_STATUS": "0",
        "DELETED": "0",
        **overrides,
    }


def hazard(**overrides):
    return {
        "ID": new_id(),
        "HAZARD_CODE": "HZ-370102-0001",
        "RISK_MEASURE_ID": new_id(),
        "DANGER_NAME": "液位计失灵",
        "DANGER_LEVEL": 0,
        "REGIST_TIME": NOW,
        "REGISTRANT": "李四",
        "DANGER_SRC": "1",
        "DANGER_MANAGE_TYPE": 1,
        "HAZARD_DANGER_TYPE": 4,
        "DANGER_DESC": "1号罐液位计读数不变",
        "DANGER_REASON": "仪表故障",
        "LIABLE_PERSON": "王五",
        "DANGER_MANAGE_DEADLINE": "2026-12-10 18:00:00",
        "DANGER_STATE": 0,
        "DELETED": "0",
        **overrides,
    }


def special_work(company_code, **overrides):
    return {
        "ID": new_id(),
        "COMPANY_CODE": company_code,
        "TASK_DATE": "2026-12-01",
        "TASK_TYPE": "12",
        "TASK_POSITION": "1号罐区",
        "TASK_BEGIN_TIME": NOW,
        "TASK_END_TIME": LATER,
        "IS_CONTRACTOR_TASK": "1",
        "TASK_UNIT": "某安装公司",
        "MAJOR_PERSON": "赵六",
        "MAJOR_PERSON_MOBILE": "13800000000",
        "TASK_CONTENT": "管线动火焊接",
        "IS_CHANGED": "0",
        "IS_CANCELLED": "0",
        "FILE": data_url(PDF, "application/pdf"),
        **overrides,
    }


def positioning_alarm(**overrides):
    return {
        "id": new_id(),
        "CARD_NO": "CARD-0001",
        "realName": "孙七",
        "type": "alarm",
        "time": NOW,
        "alarmInfo": "一键求救",
        "alarmType": "01",
        "alarmLocation": "罐区A",
        "LONGITUDE": 117.123456,
        "LATITUDE": 36.654321,
        "floorNo": "1",
        **overrides,
    }


def video_device(company_code, **overrides):
    return {
        "DEVICE_ID": new_id(),
        "DEVICE_CODE": f"BOX-{uuid.uuid4().hex[:8]}",
        "COMPANY_CODE": company_code,
        "DEVICE_NAME": "智能分析盒1",
        "DEVICE_DESC": "罐区",
        **overrides,
    }


def video_status(device_code, at=NOW, **overrides):
    return {"DEVICE_CODE": device_code, "DATE_TIME": at, "RUN_STATUS": "1", **overrides}


def video_alarm(**overrides):
    return {
        "ALARM_ID": new_id(),
        "ALARM_TYPE": "8",
        "ALARM_STATUS": "1",
        "ALARM_TIME": NOW,
        "VIDEO_CODE": "37010200101320000001",
        "ALARM_IMAGE": data_url(JPEG, "image/jpeg"),
        **overrides,
    }


def beijing(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))
