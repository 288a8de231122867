"""Settings shared by every environment; everything that differs comes from the environment."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-development-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# Address of the provincial bureau's website link to the portal (ACC-01).
EXTERNAL_PORTAL_URL = env("ANQUAN_EXTERNAL_PORTAL_URL", default="/")
# Optional map tile server on the deployment's own network ({z}/{x}/{y}); empty draws outlines only.
ANQUAN_MAP_TILE_URL = env("ANQUAN_MAP_TILE_URL", default="")
# Raw readings are kept this many days (partitions older than that are dropped); rollups live longer.
ANQUAN_READING_RETENTION_DAYS = env.int("ANQUAN_READING_RETENTION_DAYS", default=400)
# Rollups outlive the raw readings: long-range charts and statistics read them.
ANQUAN_ROLLUP_MINUTE_RETENTION_DAYS = env.int("ANQUAN_ROLLUP_MINUTE_RETENTION_DAYS", default=800)
ANQUAN_ROLLUP_HOUR_RETENTION_DAYS = env.int("ANQUAN_ROLLUP_HOUR_RETENTION_DAYS", default=3650)
# Load shedding (contract §2: 429 + Retry-After): refuse new batches while this many wait unprocessed.
ANQUAN_INGEST_MAX_PENDING_BATCHES = env.int("ANQUAN_INGEST_MAX_PENDING_BATCHES", default=2000)
# Gateway ingestion limits (contract §2).
ANQUAN_INGEST_MAX_READINGS = 5000
ANQUAN_INGEST_MAX_BYTES = 2 * 1024 * 1024
ANQUAN_INGEST_MAX_SKEW_S = 300
ANQUAN_INGEST_MAX_FUTURE_S = 300
# The MQTT broker the bridge subscribes to (Mosquitto here, EMQX in production).
ANQUAN_MQTT_HOST = env("ANQUAN_MQTT_HOST", default="127.0.0.1")
ANQUAN_MQTT_PORT = env.int("ANQUAN_MQTT_PORT", default=1883)
ANQUAN_MQTT_USERNAME = env("ANQUAN_MQTT_USERNAME", default="")
ANQUAN_MQTT_PASSWORD = env("ANQUAN_MQTT_PASSWORD", default="")
# Bearer token the broker sends to /api/v1/mqtt/auth and /acl (empty: the hooks refuse every call).
ANQUAN_MQTT_AUTH_TOKEN = env("ANQUAN_MQTT_AUTH_TOKEN", default="")
# A point that reported before is offline after this many of its reporting periods without data.
ANQUAN_OFFLINE_PERIODS = env.int("ANQUAN_OFFLINE_PERIODS", default=3)
# An alarm still active after this many hours is flagged as long-uncleared (长时间未销警).
ANQUAN_ALARM_LONG_UNCLEARED_HOURS = env.int("ANQUAN_ALARM_LONG_UNCLEARED_HOURS", default=24)
# Risk grading (apps.risk): a result is stored anew when its score moves by at least this much (or its
# level or model version changes); regrade requests (alarms, self-assessments) are debounced this long;
# a fed-back warning whose risk has not come down after this many hours is flagged (RSK-27).
ANQUAN_RISK_SCORE_EPSILON = env.float("ANQUAN_RISK_SCORE_EPSILON", default=0.5)
ANQUAN_RISK_DEBOUNCE_SECONDS = env.int("ANQUAN_RISK_DEBOUNCE_SECONDS", default=10)
ANQUAN_WARNING_RECOVERY_HOURS = env.int("ANQUAN_WARNING_RECOVERY_HOURS", default=24)
# Data exchange (contract §4): records per upload, largest body, and whether a special work changed or
# cancelled without its reason is refused (true) or stored with a warning (false, decisions 33).
ANQUAN_EXCHANGE_MAX_RECORDS = env.int("ANQUAN_EXCHANGE_MAX_RECORDS", default=1000)
ANQUAN_EXCHANGE_MAX_BODY_BYTES = env.int("ANQUAN_EXCHANGE_MAX_BODY_BYTES", default=64 * 1024 * 1024)
ANQUAN_EXCHANGE_STRICT_REASONS = env.bool("ANQUAN_EXCHANGE_STRICT_REASONS", default=False)
# Data quality (数据质量, apps.monitoring.quality): a point raising at least this many alarms in 24 h
# alarms frequently; an analog value unchanged this many hours is stuck; a point missing more than
# this share of its expected readings in 24 h has gaps; offline this many days is long offline.
ANQUAN_QUALITY_FREQUENT_ALARMS = env.int("ANQUAN_QUALITY_FREQUENT_ALARMS", default=10)
ANQUAN_QUALITY_STUCK_HOURS = env.int("ANQUAN_QUALITY_STUCK_HOURS", default=6)
ANQUAN_QUALITY_MISSING_RATIO = env.float("ANQUAN_QUALITY_MISSING_RATIO", default=0.2)
ANQUAN_QUALITY_LONG_OFFLINE_DAYS = env.int("ANQUAN_QUALITY_LONG_OFFLINE_DAYS", default=3)
# Longest maintenance/calibration window (检维修/标定) an enterprise may declare at once.
ANQUAN_MAINTENANCE_WINDOW_MAX_DAYS = env.int("ANQUAN_MAINTENANCE_WINDOW_MAX_DAYS", default=30)
# Key for secrets kept encrypted at rest (gateway HMAC keys); defaults to one derived from SECRET_KEY.
ANQUAN_SECRETS_KEY = env("ANQUAN_SECRETS_KEY", default="")
# Notifications (消息通知): external channels besides the portal inbox (log, sms, im), and their endpoints.
ANQUAN_NOTIFY_CHANNELS = env.list("ANQUAN_NOTIFY_CHANNELS", default=["log"])
ANQUAN_SMS_URL = env("ANQUAN_SMS_URL", default="")  # SMS gateway: POST {"phone", "text"}
ANQUAN_SMS_TOKEN = env("ANQUAN_SMS_TOKEN", default="")  # sent as a bearer token when set
ANQUAN_IM_WEBHOOK_URL = env("ANQUAN_IM_WEBHOOK_URL", default="")  # WeCom/DingTalk group robot webhook

DJANGO_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.postgres",
]
THIRD_PARTY_APPS = [
    "rest_framework",
    "rest_framework_gis",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "auditlog",
    "django_celery_beat",
    "channels",
]
# Ordered by dependency: each app may import only the apps above it.
LOCAL_APPS = [
    "apps.core",
    "apps.regions",
    "apps.accounts",
    "apps.notifications",
    "apps.enterprises",
    "apps.facilities",
    "apps.hazards",
    "apps.monitoring",
    "apps.video",
    "apps.risk",
    "apps.exchange",
    "apps.prevention",
    "apps.imports",
    "apps.portal",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:login"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "apps.core.middleware.AuditContextMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.portal.context_processors.navigation",
            ],
        },
    }
]

DATABASES = {
    "default": env.db("DATABASE_URL", default="postgis://postgres@127.0.0.1:5432/anquan"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# A connection pool per process: under ASGI every request runs in a thread of its own, and persistent
# per-thread connections would pile up; the pool hands connections back at the end of each request.
if env.bool("DATABASE_POOL", default=True):
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": env.int("DATABASE_POOL_MAX", default=10),
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": env("CACHE_URL", default="redis://127.0.0.1:6379/1"),
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="anquan"),
    }
}

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [env("CHANNELS_REDIS_URL", default="redis://127.0.0.1:6379/2")],
            "prefix": env("CHANNELS_PREFIX", default="anquan"),
        },
    }
}

# Celery: Redis broker, results not kept (tasks write their results to the database).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/3")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default="redis://127.0.0.1:6379/4")
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Every periodic task in one place, each expiring near its interval so a backlog never piles up.
CELERY_BEAT_SCHEDULE = {
    "core-heartbeat": {"task": "core.heartbeat", "schedule": 60.0, "options": {"expires": 55}},
    "monitoring-partitions": {
        "task": "monitoring.maintain_partitions",
        "schedule": 3600.0,
        "options": {"expires": 3500},
    },
    "monitoring-sweep": {"task": "monitoring.sweep_batches", "schedule": 30.0, "options": {"expires": 25}},
    "monitoring-offline": {"task": "monitoring.detect_offline", "schedule": 60.0, "options": {"expires": 55}},
    "risk-regrade": {
        "task": "risk.regrade_all",
        "schedule": env.float("ANQUAN_RISK_REGRADE_SECONDS", default=600.0),
        "options": {"expires": 540},
    },
    "risk-warnings-tick": {"task": "risk.warnings_tick", "schedule": 60.0, "options": {"expires": 55}},
    "risk-calibrate": {
        "task": "risk.calibrate_models",
        "schedule": 30 * 24 * 3600.0,
        "options": {"expires": 24 * 3600},
    },
    "monitoring-hour-rollups": {
        "task": "monitoring.refresh_hour_rollups",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
    "notifications-retry": {
        "task": "notifications.retry_failed",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
    "exchange-deliver-due": {"task": "exchange.deliver_due", "schedule": 60.0, "options": {"expires": 55}},
    "exchange-build-due": {"task": "exchange.build_due", "schedule": 60.0, "options": {"expires": 55}},
    "prevention-generate-periods": {
        "task": "prevention.generate_periods",
        "schedule": 600.0,
        "options": {"expires": 540},
    },
    "prevention-remind-overdue-dangers": {
        "task": "prevention.remind_overdue_dangers",
        "schedule": 3600.0,
        "options": {"expires": 3500},
    },
    "exchange-prune-delivered": {
        "task": "exchange.prune_delivered",
        "schedule": 86400.0,
        "options": {"expires": 3600},
    },
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Account lock-out after repeated failures (等保 requirement on login failure handling).
ANQUAN_LOGIN_MAX_FAILURES = env.int("ANQUAN_LOGIN_MAX_FAILURES", default=5)
ANQUAN_LOGIN_LOCK_MINUTES = env.int("ANQUAN_LOGIN_LOCK_MINUTES", default=15)
ANQUAN_TOKEN_TTL_HOURS = env.int("ANQUAN_TOKEN_TTL_HOURS", default=24 * 7)
# Portal sessions end with the working day or the browser, whichever comes first.
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SAMESITE = "Lax"

# Simplified Chinese is the default UI language; English is offered.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Decision 10: stored in UTC, shown in Beijing time.
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("ANQUAN_MEDIA_ROOT", default=str(BASE_DIR / "media"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "apps.core.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "apps.core.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"login": "20/min"},
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Anquan 安全生产风险监测预警平台 API",
    "DESCRIPTION": (
        "REST API for regulators, enterprises, mobile inspectors and machine clients. "
        "Authenticate with `POST /api/v1/auth/token`, then send `Authorization: Token <token>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Swagger UI served from our own static files: deployments sit on government networks.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "RegionKindEnum": "apps.regions.models.RegionKind",
        "OrganisationKindEnum": "apps.accounts.models.OrganisationKind",
        "OperatingStatusEnum": "apps.enterprises.models.OperatingStatus",
        "FacilityStatusEnum": "apps.facilities.models.FacilityStatus",
        "SpotCheckKindEnum": "apps.risk.models.SpotCheck.Kind",
        "IncidentKindEnum": "apps.risk.models.Incident.Kind",
        "WarningStatusEnum": "apps.risk.models.Warning.Status",
        "RiskModelVersionStatusEnum": "apps.risk.models.RiskModelVersion.Status",
    },
}

AUDITLOG_INCLUDE_ALL_MODELS = False
AUDITLOG_DISABLE_REMOTE_ADDR = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

GDAL_LIBRARY_PATH = env("GDAL_LIBRARY_PATH", default=None)
GEOS_LIBRARY_PATH = env("GEOS_LIBRARY_PATH", default=None)

# Debian 12 ships GDAL 3.6; the platform never opens untrusted GDAL data sources.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]
