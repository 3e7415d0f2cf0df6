"""Settings for the supervision product, driven by environment variables.

Safe defaults for a laptop (DEBUG on, SQLite in ./var); production switches on by env.
"""

from __future__ import annotations

import datetime
import os
from decimal import Decimal
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean variable; anything but a clear yes/no is a configuration error."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from exc


DEBUG = env_bool("DJANGO_DEBUG", True)

_DEV_SECRET = "dev-only-insecure-secret-key-never-use-in-production"  # noqa: S105
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", _DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    # Sign-in hardening: lockout after failed passwords, two-factor sign-in, CSP header.
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    # Background jobs: django-tasks (Django 6's tasks framework for 5.2) and its database queue.
    "django_tasks",
    "django_tasks_db",
    "supervision",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves the collected static files in production (no CDN, no separate web server needed).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The database out of reach: a 503 page or API error with Retry-After, not a server error.
    "supervision.unavailable.DatabaseUnavailableMiddleware",
    # The public pages (/public/, 信息公开) are answered here, before the rest of the chain: no
    # session, CSRF, sign-in, second factor or lockout runs for them (supervision/public/).
    "supervision.public.middleware.PublicPagesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Extends the session at most once a minute instead of saving it on every request.
    "supervision.sessions.SessionTouchMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed the second factor.
    "django_otp.middleware.OTPMiddleware",
    # Supervisors and superusers (and anyone enrolled) pass the second factor before any page.
    "supervision.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Logs every refused request (403) of the pages, the API and the admin.
    "supervision.middleware.PermissionDeniedLogMiddleware",
    # Records the signed-in user on every history row written during a request.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a lockout into the "too many attempts" page.
    "axes.middleware.AxesMiddleware",
]

if env_bool("DJANGO_SERVER_TIMING", False):
    # Benchmarks only: time and query count of every response in a Server-Timing header.
    MIDDLEWARE.insert(0, "supervision.middleware.ServerTimingMiddleware")

ROOT_URLCONF = "supervision.urls"
WSGI_APPLICATION = "supervision.wsgi.application"

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
            ],
        },
    },
]

# Database: DATABASE_URL (postgres://… in production); default an SQLite file in ./var.
DATA_DIR = Path(os.environ.get("DJANGO_DATA_DIR", BASE_DIR / "var"))
_default_db_url = f"sqlite:///{DATA_DIR / 'db.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", _default_db_url),
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    # Several staff writing at once: WAL lets readers run beside a writer, IMMEDIATE takes the
    # write lock at BEGIN (no deadlock-prone lock upgrades), and the timeout makes a writer wait
    # for the lock instead of failing with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }

# A PostgreSQL streaming replica for the lists (supervision/db_routers.py): GETs of the lists,
# the dashboard, the admin changelists and the API's list endpoints read from it; everything
# else, and a browser's lists for REPLICA_PIN_SECONDS after it wrote, from the primary.
_replica_url = os.environ.get("DATABASE_REPLICA_URL", "").strip()
REPLICA_PIN_SECONDS = env_int("DJANGO_REPLICA_PIN_SECONDS", 10)
# A replica that fails is left alone for this long (each process): lists read the primary.
REPLICA_RETRY_SECONDS = env_int("DJANGO_REPLICA_RETRY_SECONDS", 30)
if _replica_url:
    DATABASES["replica"] = dj_database_url.parse(
        _replica_url,
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
    # An unreachable replica delays a list by at most this long before the primary answers it
    # (libpq waits indefinitely by default); ?connect_timeout= in the URL overrides it.
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    # Tests and migrations see one database: the replica is the primary's copy.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["supervision.db_routers.PrimaryReplicaRouter"]
    MIDDLEWARE.append("supervision.db_routers.ReplicaReadsMiddleware")

# PostgreSQL: no parallel workers for the app's queries. A page reads a page of rows; a worker's
# start (~20 ms) cost more than it saved wherever the planner chose one (a common search word,
# whose matches it cannot estimate, was 43 ms with workers and a few without; bench/RESULTS.md),
# and the web workers already keep the cores busy. DJANGO_PG_PARALLEL_WORKERS=2 gives them back.
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.postgresql":
        _workers = env_int("DJANGO_PG_PARALLEL_WORKERS", 0)
        _options = _database.setdefault("OPTIONS", {})
        _options["options"] = f"-c max_parallel_workers_per_gather={_workers} " + _options.get(
            "options", ""
        )


# Cache: by default each process's own memory, which nothing relies on. A cache that every
# worker and server shares (DJANGO_CACHE_URL=redis://host:6379/0, needs the `redis` package;
# db://cache_table after `manage.py createcachetable`; file:///var/cache/supervision for one
# machine's workers) also holds the sessions in front of the database (below).
def env_cache(name: str) -> dict:
    raw = os.environ.get(name, "").strip()
    if not raw or raw.startswith("locmem://"):
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    if raw.startswith(("redis://", "rediss://")):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": raw}
    if raw.startswith("db://") and raw[len("db://") :]:
        return {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": raw[len("db://") :],
        }
    if raw.startswith("file://") and raw[len("file://") :]:
        return {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": raw[len("file://") :],
        }
    raise ImproperlyConfigured(f"{name} must be redis://…, db://table, file:///dir or locmem://")


CACHES = {"default": env_cache("DJANGO_CACHE_URL")}
# Sessions live in the database; with a shared cache they are read from it (one query less on
# every request) and still written through to the database. Never with per-process memory: a
# session ended in one worker would live on in another's copy.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.db"
    if CACHES["default"]["BACKEND"].endswith("LocMemCache")
    else "django.contrib.sessions.backends.cached_db"
)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Demo data built from seeds/ (`make fixtures`), loaded with `loaddata lhasa_2024`.
FIXTURE_DIRS = [BASE_DIR / "fixtures"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "supervision.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "supervision" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True
# Chinese figures grouped by thousands (Django's zh_Hans groups nothing); see supervision/formats/.
FORMAT_MODULE_PATH = ["supervision.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every start when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed files after `collectstatic` (make serve); plain files otherwise, so
    # tests and `make run` need no collect step.
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("DJANGO_STATIC_MANIFEST", False)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Evidence files -----------------------------------------------------------------------------

# Uploaded evidence (supervision.models.Evidence) lives in MEDIA_ROOT, away from anything served:
# no URL maps to it (MEDIA_URL is left unset) and files leave only through the download views,
# which check that the user may see the record. Back it up with the database.
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", DATA_DIR / "media")).resolve()
for _served in (STATIC_ROOT, BASE_DIR / "supervision" / "static", BASE_DIR / "templates"):
    if MEDIA_ROOT.is_relative_to(_served.resolve()):
        raise ImproperlyConfigured(f"DJANGO_MEDIA_ROOT must not lie inside {_served}")
# Largest evidence file, in MB; a larger upload is dropped while it arrives (uploads.py).
EVIDENCE_MAX_BYTES = env_int("DJANGO_EVIDENCE_MAX_MB", 20) * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "supervision.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Files up to 2.5 MB are held in memory while a request is read, larger ones in a temporary
# file; the other form fields together may not exceed 2.5 MB (a larger body is a 400).
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FILES = 10
# Readable by the application's account only.
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750


# --- Sign-in and sessions ------------------------------------------------------------------

# django-axes first: it refuses a locked-out username/address before a password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading the permissions in one query (supervision/auth_backends.py).
    "supervision.auth_backends.RolePermissionBackend",
]


def env_lockout(name: str, default: str) -> list[str | list[str]]:
    """Lockout keys: "username+ip_address" locks the pair; "username,ip_address" each alone."""
    known = {"username", "ip_address", "user_agent"}
    groups: list[str | list[str]] = []
    for group in (os.environ.get(name) or default).split(","):
        keys = [key.strip() for key in group.split("+") if key.strip()]
        if not keys or set(keys) - known:
            raise ImproperlyConfigured(f"{name}: use {sorted(known)} joined by + or ,")
        groups.append(keys if len(keys) > 1 else keys[0])
    return groups


AXES_FAILURE_LIMIT = env_int("DJANGO_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("DJANGO_LOGIN_COOLOFF_MINUTES", 15))
# The same username from the same address: a clerk who mistypes does not lock out the office
# behind one NAT address, and nobody can lock a colleague out from elsewhere.
AXES_LOCKOUT_PARAMETERS = env_lockout("DJANGO_LOGIN_LOCKOUT", "username+ip_address")
AXES_RESET_ON_SUCCESS = True
# The security log names the username and address of each failure (the password never).
AXES_SENSITIVE_PARAMETERS: list[str] = []
# Every failed sign-in is also kept in a table the administrators read in the admin.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "supervision.views.account.locked_out"
AXES_CLIENT_IP_CALLABLE = "supervision.security.client_ip"
# Reverse proxies in front of the app (each appends to X-Forwarded-For); 0 = clients connect
# directly. With a proxy, the proxy also says whether the client used HTTPS.
TRUSTED_PROXIES = env_int("DJANGO_TRUSTED_PROXIES", 0)

# Sessions end after DJANGO_SESSION_MINUTES without a request and when the browser closes. A
# request extends the session when it was last saved SESSION_TOUCH_SECONDS or more ago
# (supervision/sessions.py), so a page that only reads writes nothing.
SESSION_COOKIE_AGE = env_int("DJANGO_SESSION_MINUTES", 30) * 60
SESSION_TOUCH_SECONDS = 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True

# Two-factor sign-in (TOTP, with single-use recovery codes): see supervision/twofactor.py.
OTP_TOTP_ISSUER = os.environ.get("DJANGO_OTP_ISSUER", "拉萨医保基金监管")
# Recovery codes and codes from the app are refused for a while after each wrong one.
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

# --- Public pages (信息公开, supervision/public/) -----------------------------------------------


def env_rate(name: str, default: str) -> str:
    """A django-ratelimit rate such as "300/m" or "1000/5m" (per second, minute, hour or day)."""
    raw = os.environ.get(name, default).strip()
    count, _slash, period = raw.partition("/")
    multiple = period[:-1]
    if not (
        count.isascii()
        and count.isdigit()
        and int(count) > 0
        and period[-1:] in ("s", "m", "h", "d")
        and (multiple == "" or (multiple.isascii() and multiple.isdigit() and int(multiple) > 0))
    ):
        raise ImproperlyConfigured(f"{name} must be a rate such as 300/m, not {raw!r}")
    return raw


# Requests per client address (supervision.security.client_ip) to the public pages; past it, 429.
# Counted in the default cache: give every worker the same one (DJANGO_CACHE_URL) in production.
PUBLIC_RATE_LIMIT = env_rate("DJANGO_PUBLIC_RATE_LIMIT", "300/m")
# Seconds a process trusts the edition number it read: how late a publication may show.
PUBLIC_EDITION_TTL = env_int("DJANGO_PUBLIC_EDITION_TTL", 1)
# Longest life of a cached public page (a publication replaces it at once; this bounds what
# changes without one, such as a random check's inspection being completed).
PUBLIC_CACHE_SECONDS = env_int("DJANGO_PUBLIC_CACHE_SECONDS", 300)

# --- HTTPS and headers (production) -------------------------------------------------------------

# Served over HTTPS (directly or behind a TLS proxy): on by default when DEBUG is off.
HTTPS = env_bool("DJANGO_HTTPS", not DEBUG)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
# __Host-: the browser keeps the cookie only if it came over HTTPS, for this exact host and every
# path, so neither a sibling subdomain nor plain HTTP can plant or read it.
SESSION_COOKIE_NAME = "__Host-sessionid" if HTTPS else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if HTTPS else "csrftoken"
SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", HTTPS)
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 365 * 24 * 3600) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
if TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): nothing inline, nothing from elsewhere. The pages have no
# inline script or style; the API docs load their start-up script as a file.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# The API (supervision/api/). Token first: an anonymous request then gets 401 with a
# WWW-Authenticate header rather than 403. Session auth serves the pages and the docs (with CSRF).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["supervision.api.permissions.RolePermissions"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "supervision.api.pagination.KeysetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_PARSER_CLASSES": ["supervision.api.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "supervision.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "supervision.api.exceptions.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# The OpenAPI contract at /api/schema/ and its docs at /api/docs/, Swagger UI served from our own
# static files (sidecar): nothing loads from the internet.
SPECTACULAR_SETTINGS = {
    "TITLE": "拉萨市医疗保障局 医保基金监管 API",
    "DESCRIPTION": (
        "Medical-insurance fund supervision of the Lhasa Medical Security Bureau: designated "
        "facilities, credit ratings and their changes, inspections, referrals and sanctions, "
        "under the same rules and permissions as the staff pages. Authenticate with "
        "`Authorization: Token <key>` (tokens are issued by an administrator) or a signed-in "
        "session. Lists are paginated by cursor: follow `next` and `previous`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SCHEMA_PATH_PREFIX": r"/api/",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No online validator badge: the docs work on an intranet.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "ENUM_NAME_OVERRIDES": {
        "FacilityKindEnum": "supervision.choices.FacilityKind",
        "ImportKindEnum": "supervision.choices.ImportKind",
        "ImportStatusEnum": "supervision.choices.ImportStatus",
        "RowOutcomeEnum": "supervision.choices.RowOutcome",
        "OwnershipEnum": "supervision.choices.Ownership",
        "DistrictEnum": "supervision.choices.District",
        "ZoneEnum": "supervision.choices.Zone",
        "AgreementStatusEnum": "supervision.choices.AgreementStatus",
        "GradeEnum": "supervision.choices.Grade",
        "InspectionKindEnum": "supervision.choices.InspectionKind",
        "InspectionStatusEnum": "supervision.choices.InspectionStatus",
        "ViolationEnum": "supervision.choices.Violation",
        "AgencyEnum": "supervision.choices.Agency",
        "ReferralStatusEnum": "supervision.choices.ReferralStatus",
        "SanctionKindEnum": "supervision.choices.SanctionKind",
        "EvidenceTypeEnum": "supervision.choices.EvidenceType",
        "TipChannelEnum": "supervision.choices.TipChannel",
        "TipSubjectEnum": "supervision.choices.TipSubject",
        "TipStatusEnum": "supervision.choices.TipStatus",
        "TipClockEnum": "supervision.choices.TipClock",
        "TipConclusionEnum": "supervision.choices.TipConclusion",
        "ReplyMethodEnum": "supervision.choices.ReplyMethod",
        "RewardStatusEnum": "supervision.choices.RewardStatus",
        "PaymentMethodEnum": "supervision.choices.PaymentMethod",
        "CreditCategoryEnum": "supervision.choices.CreditCategoryCode",
        "SubjectTypeEnum": "supervision.choices.SubjectType",
        "IndicatorMethodEnum": "supervision.choices.IndicatorMethod",
        "IndicatorFactEnum": "supervision.choices.IndicatorFact",
        "CycleStatusEnum": "supervision.choices.CycleStatus",
        "ObjectionStatusEnum": "supervision.choices.ObjectionStatus",
        "RepairStatusEnum": "supervision.choices.RepairStatus",
        "RatingChangeKindEnum": "supervision.choices.RatingChangeKind",
        "ProfessionEnum": "supervision.choices.Profession",
        "RegistrationEndEnum": "supervision.choices.RegistrationEnd",
        "ResponsibilityEnum": "supervision.choices.Responsibility",
        "PointsStateEnum": "supervision.choices.PointsState",
        "QualificationStatusEnum": "supervision.choices.QualificationStatus",
        "MeasureKindEnum": "supervision.choices.MeasureKind",
        "RandomCheckStatusEnum": "supervision.choices.RandomCheckStatus",
        "TypicalCaseStatusEnum": "supervision.choices.TypicalCaseStatus",
        "RectificationStatusEnum": "supervision.choices.RectificationStatus",
    },
}

# Tips (举报线索): the bureau's own figures (domain brief §7), settings rather than constants.
# Deadlines in statutory working days (supervision.workdays); a tip is "due soon" when its
# deadline is at most TIP_DUE_SOON_WORKDAYS working days away.
TIP_ACCEPTANCE_WORKDAYS = env_int("SUPERVISION_TIP_ACCEPTANCE_WORKDAYS", 5)
TIP_INVESTIGATION_WORKDAYS = env_int("SUPERVISION_TIP_INVESTIGATION_WORKDAYS", 30)
TIP_DUE_SOON_WORKDAYS = env_int("SUPERVISION_TIP_DUE_SOON_WORKDAYS", 2)
# Rewards: a share of the money verified, within a floor and a ceiling per case (CNY), to be
# claimed within a number of calendar days of approval.
TIP_REWARD_SHARE = Decimal(os.environ.get("SUPERVISION_TIP_REWARD_SHARE", "0.02"))
TIP_REWARD_MINIMUM = Decimal(os.environ.get("SUPERVISION_TIP_REWARD_MINIMUM", "200"))
TIP_REWARD_MAXIMUM = Decimal(os.environ.get("SUPERVISION_TIP_REWARD_MAXIMUM", "200000"))
TIP_REWARD_CLAIM_DAYS = env_int("SUPERVISION_TIP_REWARD_CLAIM_DAYS", 90)

# Credit evaluation (信用评价), local figures: the results are published (公示) for a number of
# working days; an objection (异议) is decided within a number of working days of its receipt;
# the final step writes the grades in batches of this many subjects, one transaction each.
CREDIT_PUBLICATION_WORKDAYS = env_int("SUPERVISION_CREDIT_PUBLICATION_WORKDAYS", 7)
CREDIT_OBJECTION_WORKDAYS = env_int("SUPERVISION_CREDIT_OBJECTION_WORKDAYS", 10)
CREDIT_FINALISE_BATCH = env_int("SUPERVISION_CREDIT_FINALISE_BATCH", 5000)
# A page's or an endpoint's request finalises for at most this many seconds, then says how far
# it got; the next request continues (`python manage.py finalise_cycle` runs to the end).
CREDIT_FINALISE_SECONDS = env_int("SUPERVISION_CREDIT_FINALISE_SECONDS", 20)
# Credit repair (信用修复): months to wait after the grade (or its latest adverse change) before
# a C or a D grade may apply.
CREDIT_REPAIR_WAIT_MONTHS_C = env_int("SUPERVISION_CREDIT_REPAIR_WAIT_MONTHS_C", 3)
CREDIT_REPAIR_WAIT_MONTHS_D = env_int("SUPERVISION_CREDIT_REPAIR_WAIT_MONTHS_D", 6)

# Deadlines and reminders (期限与提醒), local figures: a due item is "due soon" this many
# working days ahead; an item overdue by this many working days also appears to the
# supervisors of its district (escalation); a referral the agency has not answered (still
# 已移送) is followed up after this many calendar days.
DUE_SOON_WORKDAYS = env_int("SUPERVISION_DUE_SOON_WORKDAYS", 3)
ESCALATE_AFTER_WORKDAYS = env_int("SUPERVISION_ESCALATE_AFTER_WORKDAYS", 5)
REFERRAL_FOLLOW_UP_DAYS = env_int("SUPERVISION_REFERRAL_FOLLOW_UP_DAYS", 60)
# An inspection in progress without an end date is overdue this many days after its start.
INSPECTION_OPEN_DAYS = env_int("SUPERVISION_INSPECTION_OPEN_DAYS", 90)
# A rectification order's default period, in working days (the order may set another).
RECTIFICATION_DEFAULT_WORKDAYS = env_int("SUPERVISION_RECTIFICATION_DEFAULT_WORKDAYS", 20)
# The daily run (reminders and the e-mail digest) starts at this local time.
DAILY_RUN_AT = os.environ.get("SUPERVISION_DAILY_RUN_AT", "07:30")

# Background jobs: queued in the database (SQLite or PostgreSQL alike) and run by
# `python manage.py db_worker`, a process beside the web server (`make run` and `make serve`
# start one). A job queued while no worker runs waits in the table and runs when one starts.
# DJANGO_TASKS_IMMEDIATE=1 runs them in the request instead (tests).
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if env_bool("DJANGO_TASKS_IMMEDIATE", False)
            else "django_tasks_db.DatabaseBackend"
        ),
        "QUEUES": ["default"],
    }
}

# E-mail (the daily digest): SMTP when DJANGO_EMAIL_HOST is set, else the console (development).
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("DJANGO_EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("DJANGO_EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "noreply@ybj.lasa.example")
# Where the digest's links point (the address staff open the product at).
SITE_URL = os.environ.get("SUPERVISION_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# History: the middleware records the signed-in user for requests; services set the acting user
# explicitly for everything else. History is read-only: no revert, and its own view permissions.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
SIMPLE_HISTORY_REVERT_DISABLED = True
SIMPLE_HISTORY_ENFORCE_HISTORY_MODEL_PERMISSIONS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    # fontTools (embedding fonts in PDFs, supervision/pdf.py) logs every glyph list at INFO.
    "loggers": {"fontTools": {"level": "WARNING"}},
}

LOGIN_URL = "login"
# "my work" for those who own due items, else the overview (supervision.views.my_work.start).
LOGIN_REDIRECT_URL = "start"
LOGOUT_REDIRECT_URL = "login"
