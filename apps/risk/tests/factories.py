"""Test helpers for risk: a small published model, and the people who act on warnings."""

from apps.risk.models import RiskModel
from apps.risk.services import catalogue

# Alarms of the last 24 h: none → blue, one → yellow, two or more → red; a second leaf of a source no
# app provides yet (always "no data").
ALARM_MODEL = {
    "thresholds": {"1": 90, "2": 60, "3": 30},
    "indicators": [
        {
            "code": "alarms",
            "name": "报警",
            "weight": 1,
            "children": [
                {
                    "code": "alarms.count",
                    "name": "24小时报警次数",
                    "weight": 3,
                    "source": "monitoring.alarm_count",
                    "params": {"window_h": 24},
                    "scoring": {"type": "linear", "zero": 0, "full": 2},
                },
                {
                    "code": "alarms.video",
                    "name": "视频报警",
                    "weight": 1,
                    "source": "video.alarms",
                    "scoring": {"type": "linear", "zero": 0, "full": 5},
                },
            ],
        }
    ],
    "rules": [],
}


def use_model(definition=ALARM_MODEL, industry="hazardous_chemicals"):
    """Publish ``definition`` as the industry's model in force; returns the version."""
    model = RiskModel.objects.get(industry__code=industry)
    version = catalogue.create_draft(model, definition, note="test")
    return catalogue.publish(version)
