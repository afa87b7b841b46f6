"""Django settings for GridCare.

Configuration comes from the environment so one code path serves the embedded SQLite demo
and PostgreSQL production: ``DATABASE_URL`` (default: SQLite in ``var/``),
``GRIDCARE_SECRET_KEY``, ``GRIDCARE_DEBUG`` and ``GRIDCARE_ALLOWED_HOSTS``.
"""

from __future__ import annotations

import ipaddress
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("GRIDCARE_VAR_DIR", PROJECT_DIR / "var"))

DEBUG = os.environ.get("GRIDCARE_DEBUG", "1") == "1"
_DEMO_SECRET_KEY = "gridcare-demo-insecure-key-change-me"  # public demo key, refused unless DEBUG  # nosec B105
SECRET_KEY = os.environ.get("GRIDCARE_SECRET_KEY", _DEMO_SECRET_KEY)
if not DEBUG and SECRET_KEY == _DEMO_SECRET_KEY:
    # The demo key is public: a production server must never sign sessions with it.
    raise ImproperlyConfigured("Set GRIDCARE_SECRET_KEY: the demo key is refused unless GRIDCARE_DEBUG=1.")
ALLOWED_HOSTS = os.environ.get("GRIDCARE_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    # access (issue 3): the admin site is for holders of identity.manage_users (web.admin_site).
    "gridcare.web.apps.GridCareAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    # Staff authentication (issue 3): TOTP MFA with recovery codes, lockout, CSP.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "gridcare.organization",
    "gridcare.identity",
    "gridcare.audit",
    "gridcare.notifications.apps.NotificationsConfig",  # notifications (issue 4)
    # jobs (issue 4): django-tasks with the GridCare database backend, worker and scheduler.
    "django_tasks",
    "gridcare.jobs",
    "gridcare.customers",
    "gridcare.metering",
    "gridcare.tariffs.apps.TariffsConfig",  # tariff catalog (issue 5)
    "gridcare.ledger.apps.LedgerConfig",  # receivables ledger (issue 6)
    "gridcare.billing.apps.BillingConfig",  # billing (issue 5): engine, quotes
    "gridcare.payments.apps.PaymentsConfig",  # payments, late fees, arrears (issue 6)
    "gridcare.exchange",
    "gridcare.demo",
    "gridcare.web",
]

MIDDLEWARE = [
    # First, so everything after it (logins, lockouts, audit events, log lines) sees the
    # request id and client IP (issue 3 hardening).
    "gridcare.web.request_context.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "gridcare.web.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Staff authentication (issue 3): CSP header, session lifetimes, then the wall that keeps a
    # user on the MFA and password-change pages until done; axes comes last, as it asks.
    "csp.middleware.CSPMiddleware",
    "gridcare.identity.middleware.SessionLifetimeMiddleware",
    "gridcare.identity.middleware.AuthenticationWallMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "gridcare.urls"
WSGI_APPLICATION = "gridcare.wsgi.application"
AUTH_USER_MODEL = "identity.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"

# Portal (网上营业厅) logins: 户号 + password and mobile + one-time code beside usernames.
# Who delivers one-time codes (a gridcare.identity.otp.OneTimeCodeSender): the notification
# outbox (issue 4), as an urgent SMS the jobs worker dispatches. Under DEBUG the text is also logged.
GRIDCARE_OTP_SENDER = "gridcare.notifications.otp.NotificationOtpSender"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "gridcare.web.context_processors.navigation",
            ],
        },
    },
]


def _database_settings() -> dict[str, object]:
    """The default database: ``DATABASE_URL`` when set, else the embedded SQLite file."""
    url = os.environ.get("DATABASE_URL", "")
    if url:
        config = dict(dj_database_url.parse(url, conn_max_age=60))
    else:
        config = {"ENGINE": "django.db.backends.sqlite3", "NAME": VAR_DIR / "gridcare.sqlite3"}
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL + IMMEDIATE transactions + a busy timeout let the web server and the worker
        # share one file without "database is locked".
        config["OPTIONS"] = {
            "init_command": ("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"),
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
        config.setdefault("TEST", {"NAME": None})
    return config


DATABASES = {"default": _database_settings()}

# jobs (issue 4): the task queue lives in the database (gridcare.jobs.backend); `gridcare worker`
# runs it. A running job that shows no heartbeat for LEASE_SECONDS is taken over by another worker.
TASKS = {
    "default": {
        "BACKEND": "gridcare.jobs.backend.DatabaseBackend",
        "QUEUES": ["default"],
        "OPTIONS": {"LEASE_SECONDS": int(os.environ.get("GRIDCARE_JOB_LEASE_SECONDS", "900"))},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "gridcare.identity.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "gridcare.identity.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "gridcare.identity.passwords.PasswordHistoryValidator", "OPTIONS": {"remembered": 5}},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# Front-end assets (htmx, ECharts) are installed by npm from package-lock.json into
# node_modules and served locally: the system runs on an internal network (电力内网).
STATICFILES_DIRS = [("vendor", PROJECT_DIR / "var" / "vendor")]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every line carries the request id (or "-"), matching the X-Request-ID response header and
    # the audit events of the same request; ID numbers and mobiles in log lines (search URLs)
    # are masked (issue 3 item 5).
    "filters": {
        "request_id": {"()": "gridcare.audit.context.RequestIdLogFilter"},
        "mask_personal_data": {"()": "gridcare.kit.masking.PersonalDataLogFilter"},
    },
    "formatters": {
        "with_request_id": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id", "mask_personal_data"],
            "formatter": "with_request_id",
        },
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["mask_personal_data"],
        },
    },
    "loggers": {"django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# --- Request context (issue 3 hardening) -------------------------------------------------------
# Reverse proxies (addresses or CIDR networks, comma-separated) whose X-Forwarded-For header
# is believed for the client IP recorded in the audit log; empty: the peer address is the client.
GRIDCARE_TRUSTED_PROXIES = [
    entry.strip() for entry in os.environ.get("GRIDCARE_TRUSTED_PROXIES", "").split(",") if entry.strip()
]
for _proxy in GRIDCARE_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as _error:
        raise ImproperlyConfigured(
            f"GRIDCARE_TRUSTED_PROXIES: {_proxy!r} is not an IP address or network."
        ) from _error

# --- Staff authentication and transport security (issue 3, item 1) ---------------------------
# Every number is an environment variable so an operator tunes it without a code change.


def _int_from_environment(name: str, default: int) -> int:
    """A non-negative integer setting from the environment."""
    value = int(os.environ.get(name, str(default)))
    if value < 0:
        raise ImproperlyConfigured(f"{name} must be 0 or more, not {value}.")
    return value


#: Days a password stays valid; 0 means passwords never expire.
GRIDCARE_PASSWORD_MAX_AGE_DAYS = _int_from_environment("GRIDCARE_PASSWORD_MAX_AGE_DAYS", 90)
#: Failed logins (per username and, separately, per IP address) before a lockout.
GRIDCARE_LOCKOUT_FAILURES = _int_from_environment("GRIDCARE_LOCKOUT_FAILURES", 5)
GRIDCARE_LOCKOUT_COOLOFF_MINUTES = _int_from_environment("GRIDCARE_LOCKOUT_COOLOFF_MINUTES", 30)
#: A session ends after this long without a request, and after this long in any case.
GRIDCARE_SESSION_IDLE_MINUTES = _int_from_environment("GRIDCARE_SESSION_IDLE_MINUTES", 30)
GRIDCARE_SESSION_MAX_HOURS = _int_from_environment("GRIDCARE_SESSION_MAX_HOURS", 12)
#: Set by `gridcare serve --tls-cert ... --tls-key ...` (or by an operator whose TLS proxy
#: sets X-Forwarded-Proto): cookies are then sent over HTTPS only.
GRIDCARE_SERVED_OVER_TLS = os.environ.get("GRIDCARE_TLS", "0") == "1"

# django-axes tries each backend after its own check, which refuses locked-out users.
# axes first, as it asks: it refuses locked-out credentials before any backend checks them.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "gridcare.customers.portal_auth.PortalAccountPasswordBackend",
    "gridcare.identity.portal_auth.PortalOneTimeCodeBackend",
    # Authenticates nobody: answers user.has_perm() from the role map (identity.permissions).
    "gridcare.identity.backends.RolePermissionBackend",
]
AXES_FAILURE_LIMIT = GRIDCARE_LOCKOUT_FAILURES
AXES_COOLOFF_TIME = timedelta(minutes=GRIDCARE_LOCKOUT_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "gridcare.identity.lockout.lockout_response"
AXES_WHITELIST_CALLABLE = "gridcare.identity.lockout.is_exempt_from_lockout"
# Unlocking goes through the audited back-office page, not axes' own admin.
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False
# REMOTE_ADDR only: forwarded headers are set by the client unless a trusted proxy rewrites them.
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)

OTP_TOTP_ISSUER = "GridCare"

SESSION_COOKIE_AGE = GRIDCARE_SESSION_MAX_HOURS * 60 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG or GRIDCARE_SERVED_OVER_TLS
# Served over TLS in production, a plain-HTTP request (e.g. through a misconfigured proxy) is
# sent to HTTPS rather than answered in the clear.
SECURE_SSL_REDIRECT = GRIDCARE_SERVED_OVER_TLS and not DEBUG
if os.environ.get("GRIDCARE_TRUST_FORWARDED_PROTO", "0") == "1":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
# A CSRF refusal is a denial like any other: audited (deny_csrf) and shown as the 403 page.
CSRF_FAILURE_VIEW = "gridcare.web.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Django sends HSTS only on requests that came over HTTPS.
SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}
# --- JSON API and integrations (issue 3, integrations part) -------------------------------------
# django-ninja's app serves the Swagger UI assets locally (no CDN on the internal network).
INSTALLED_APPS += ["ninja"]
#: How far a signed API request's X-GridCare-Timestamp may be from the server clock.
GRIDCARE_API_SIGNATURE_WINDOW_SECONDS = int(os.environ.get("GRIDCARE_API_SIGNATURE_WINDOW_SECONDS", "300"))

# --- notification channels (issue 4 item 3; docs/channels.md) -------------------------------
# Each channel's gateway, from the environment. The defaults are the local demo gateways: an
# SMTP server on localhost:1025 and the bundled SMSC simulator (`gridcare smsc_simulator`) on
# localhost:2775. SMS and MMS go through "smpp" or "http" (GRIDCARE_SMS_GATEWAY).
NOTIFICATION_CHANNELS: dict[str, dict[str, str | int | float]] = {
    "email": {
        "HOST": os.environ.get("GRIDCARE_SMTP_HOST", "localhost"),
        "PORT": int(os.environ.get("GRIDCARE_SMTP_PORT", "1025")),
        "SECURITY": os.environ.get("GRIDCARE_SMTP_SECURITY", "plain"),  # plain | starttls | ssl
        "USERNAME": os.environ.get("GRIDCARE_SMTP_USERNAME", ""),
        "PASSWORD": os.environ.get("GRIDCARE_SMTP_PASSWORD", ""),
        "SENDER": os.environ.get("GRIDCARE_SMTP_SENDER", "notice@gridcare.example"),
        "SENDER_NAME": os.environ.get("GRIDCARE_SMTP_SENDER_NAME", "GridCare"),
        "TIMEOUT_SECONDS": float(os.environ.get("GRIDCARE_SMTP_TIMEOUT_SECONDS", "10")),
    },
    "sms": {
        "GATEWAY": os.environ.get("GRIDCARE_SMS_GATEWAY", "smpp"),  # smpp | http
        "SMPP_HOST": os.environ.get("GRIDCARE_SMPP_HOST", "localhost"),
        "SMPP_PORT": int(os.environ.get("GRIDCARE_SMPP_PORT", "2775")),
        "SMPP_SYSTEM_ID": os.environ.get("GRIDCARE_SMPP_SYSTEM_ID", "gridcare"),
        "SMPP_PASSWORD": os.environ.get("GRIDCARE_SMPP_PASSWORD", "gridcare"),
        "SMPP_SYSTEM_TYPE": os.environ.get("GRIDCARE_SMPP_SYSTEM_TYPE", ""),
        # The vendor TLV carrying each part's client reference (idempotency key); blank = none.
        "SMPP_CLIENT_REFERENCE_TAG": os.environ.get("GRIDCARE_SMPP_CLIENT_REFERENCE_TAG", "0x1401"),
        "SOURCE_ADDRESS": os.environ.get("GRIDCARE_SMS_SOURCE_ADDRESS", "95598"),
        "HTTP_URL": os.environ.get("GRIDCARE_SMS_HTTP_URL", ""),
        "HTTP_KEY_ID": os.environ.get("GRIDCARE_SMS_HTTP_KEY_ID", ""),
        "HTTP_SECRET": os.environ.get("GRIDCARE_SMS_HTTP_SECRET", ""),
        "TIMEOUT_SECONDS": float(os.environ.get("GRIDCARE_SMS_TIMEOUT_SECONDS", "10")),
    },
    "wechat": {
        "APP_ID": os.environ.get("GRIDCARE_WECHAT_APP_ID", ""),
        "APP_SECRET": os.environ.get("GRIDCARE_WECHAT_APP_SECRET", ""),
        "DEFAULT_TEMPLATE_ID": os.environ.get("GRIDCARE_WECHAT_TEMPLATE_ID", ""),
        "BASE_URL": os.environ.get("GRIDCARE_WECHAT_BASE_URL", "https://api.weixin.qq.com"),
        "CALLBACK_TOKEN": os.environ.get("GRIDCARE_WECHAT_CALLBACK_TOKEN", ""),
        "TIMEOUT_SECONDS": float(os.environ.get("GRIDCARE_WECHAT_TIMEOUT_SECONDS", "10")),
    },
    "letter": {
        # The sender block printed on every letter, lines separated by "|".
        "SENDER_LINES": os.environ.get(
            "GRIDCARE_LETTER_SENDER_LINES", "国网示范供电公司|营销部（客户服务中心）"
        ),
    },
}
# --- end of notification channels ----------------------------------------------------------

# --- Personal data encryption keys (issue 3 item 5; docs/adr/0004-pii-encryption.md) --------
# GRIDCARE_PII_KEYS: "k2:<base64 32 bytes>,k1:<...>" (the first key is active: it encrypts;
# the others still decrypt), GRIDCARE_PII_HASH_KEY: "<base64 32 bytes>" for the keyed search
# hashes. Or GRIDCARE_PII_KEY_FILE: a file (not readable by group or others) holding the same
# "id:base64key" lines, one a line, and the hash key as the line "hash:<base64>".
# Under GRIDCARE_DEBUG=1 (demo, tests) and with none of them set, fixed DEMO keys are used: they
# are public, protect nothing, and are refused outside DEBUG.
_DEMO_PII_KEYS = "demo1:uHX/TTzEsQP7b3thfmxTbIcx0K1lnSefB0vdTmpftis="
_DEMO_PII_HASH_KEY = "BEKU3eo3kzMydJexI9CEUPj9ujNlqug8b6+e7tL0mc0="


def _pii_key_settings() -> tuple[str, str]:
    """The data key lines and the hash key, from the environment, the key file or (DEBUG) the demo."""
    from gridcare.kit.crypto import HASH_KEY_ID, KeyLine, PiiKeyError, PiiKeyRing, decode_key, parse_key_lines

    key_file = os.environ.get("GRIDCARE_PII_KEY_FILE", "")
    keys_text = os.environ.get("GRIDCARE_PII_KEYS", "")
    hash_text = os.environ.get("GRIDCARE_PII_HASH_KEY", "")
    if key_file:
        path = Path(key_file)
        if not path.is_file():
            raise ImproperlyConfigured(f"GRIDCARE_PII_KEY_FILE {key_file} does not exist.")
        if path.stat().st_mode & 0o077:
            raise ImproperlyConfigured(
                f"GRIDCARE_PII_KEY_FILE {key_file} must be readable by its owner only (chmod 600)."
            )
        lines = path.read_text(encoding="utf-8").splitlines()
        hash_lines = [line for line in lines if line.strip().startswith(HASH_KEY_ID + ":")]
        keys_text = "\n".join(line for line in lines if line not in hash_lines)
        hash_text = hash_lines[0].strip().partition(":")[2] if hash_lines else ""
    if not keys_text and not hash_text and DEBUG:
        keys_text, hash_text = _DEMO_PII_KEYS, _DEMO_PII_HASH_KEY
    if not keys_text or not hash_text:
        raise ImproperlyConfigured(
            "Set GRIDCARE_PII_KEYS and GRIDCARE_PII_HASH_KEY, or GRIDCARE_PII_KEY_FILE: "
            "personal data is encrypted at rest (see docs/operations.md)."
        )
    try:
        hash_key = decode_key(hash_text, key_id=HASH_KEY_ID)
        key_lines: list[KeyLine] = parse_key_lines(keys_text)
        PiiKeyRing(keys=key_lines, hash_key=hash_key)
    except PiiKeyError as error:
        raise ImproperlyConfigured(f"Personal data keys: {error}") from error
    if not DEBUG and keys_text == _DEMO_PII_KEYS:
        raise ImproperlyConfigured("The demo personal data key is refused unless GRIDCARE_DEBUG=1.")
    return keys_text, hash_text


GRIDCARE_PII_KEYS, GRIDCARE_PII_HASH_KEY = _pii_key_settings()
# --- end of personal data keys -------------------------------------------------------------

# --- notifications (issue 4) -----------------------------------------------------------------
# Quiet hours (local time, Asia/Shanghai) hold non-urgent messages until they end; rate limits
# cap messages handed to each channel's gateway per minute; a gateway that is down is retried
# after the backoff steps (the last repeats); a claim older than the timeout (a dispatcher that
# died mid-send) goes back to the queue. SITE_URL prefixes e-mail unsubscribe links.
NOTIFICATIONS = {
    "QUIET_HOURS_START": "21:00",
    "QUIET_HOURS_END": "08:00",
    "RATE_LIMITS_PER_MINUTE": {"sms": 600, "mms": 120, "email": 600, "wechat": 600, "letter": 10000},
    "RETRY_BACKOFF_SECONDS": [60, 300, 900, 3600],
    "CLAIM_TIMEOUT_SECONDS": int(os.environ.get("GRIDCARE_NOTIFICATION_CLAIM_TIMEOUT_SECONDS", "600")),
    "SITE_URL": os.environ.get("GRIDCARE_SITE_URL", "http://localhost:8000"),
    # The channels the worker's dispatch task sends through (letters are printed by staff in
    # batches; add "wechat" once GRIDCARE_WECHAT_APP_ID and its secret are set).
    "DISPATCH_CHANNELS": os.environ.get("GRIDCARE_DISPATCH_CHANNELS", "email,sms,mms").split(","),
    # How long a dispatch run waits for the delivery receipts of the messages it just sent.
    "RECEIPT_WAIT_SECONDS": float(os.environ.get("GRIDCARE_RECEIPT_WAIT_SECONDS", "5")),
}
# --- end of notifications ----------------------------------------------------------------------

# --- Bill runs (issue 5) --------------------------------------------------------------------------
# Review (量费审核) flags a bill whose kWh per day is above this many times, or below one this many
# times, its 12-month average.
GRIDCARE_REVIEW_USAGE_BAND = os.environ.get("GRIDCARE_REVIEW_USAGE_BAND", "3")
# Days from issue (电费发行) to a bill's payment due date.
GRIDCARE_BILL_DUE_DAYS = int(os.environ.get("GRIDCARE_BILL_DUE_DAYS", "15"))
# --- late fees (issue 6 §3; docs/late-fees.md) -------------------------------------------------
#: The minimum late fee collected, e.g. "1.00" (the 1996 rules); empty for none (the default:
#: rules-cn.md §5 marks the minimum unconfirmed in the 2024 rules).
GRIDCARE_LATE_FEE_MINIMUM = os.environ.get("GRIDCARE_LATE_FEE_MINIMUM", "")
#: Which overdue days a payment pays the fee of: "through_payment_date" or "before_payment_date".
GRIDCARE_LATE_FEE_DAY_COUNT = os.environ.get("GRIDCARE_LATE_FEE_DAY_COUNT", "through_payment_date")
#: The order a payment pays in: "late_fees_first" (every late fee, then the bills oldest first)
#: or "bill_by_bill" (oldest bill first, each with its late fee before it); docs/payments.md.
GRIDCARE_PAYMENT_ALLOCATION = os.environ.get("GRIDCARE_PAYMENT_ALLOCATION", "late_fees_first")
# --- billing usage from register reads (issue 5, §2 usage) -------------------------------------
#: A period's closing read is the last usable read in the days [period end − this, period end]
#: (Asia/Shanghai dates): a read taken a few days early still closes the period.
GRIDCARE_READ_WINDOW_DAYS = _int_from_environment("GRIDCARE_READ_WINDOW_DAYS", 3)
# --- end of billing usage ----------------------------------------------------------------------

# --- dunning (issue 6, docs/dunning.md) ----------------------------------------------------------
# RECONNECTION_LIMIT_HOURS: a reconnection order is due this long after the arrears are cleared
# (State Grid 24, China Southern Grid 12). PROTECTED_INDUSTRY_PREFIXES: GB/T 4754 industry codes
# never disconnected automatically (841 医院). REMOTE_SWITCH_INTERFACE: the class that sends
# remote disconnect/reconnect commands (the demo's simulator confirms each at once).
GRIDCARE_DUNNING = {
    "RECONNECTION_LIMIT_HOURS": _int_from_environment("GRIDCARE_RECONNECTION_LIMIT_HOURS", 24),
    "PROTECTED_INDUSTRY_PREFIXES": ["841"],
    "REMOTE_SWITCH_INTERFACE": os.environ.get(
        "GRIDCARE_REMOTE_SWITCH_INTERFACE", "gridcare.payments.supply_orders.SimulatedRemoteSwitch"
    ),
}
# --- end of dunning ------------------------------------------------------------------------------
# --- bank statements and reconciliation (issue 6 §6) -------------------------------------------
#: A statement line matches a payment only when the payment was received within this many days
#: (either side) of the line's booking date (docs/reconciliation.md).
GRIDCARE_RECONCILIATION_DATE_WINDOW_DAYS = _int_from_environment(
    "GRIDCARE_RECONCILIATION_DATE_WINDOW_DAYS", 3
)
# --- end of reconciliation ---------------------------------------------------------------------

# --- third-party payment provider (issue 6 §2, portalpay; docs/provider-payments.md) -----------
# The provider's app id for us, its gateway (where the portal sends the customer to pay), our
# RSA private key (we sign our requests) and the provider's public key (it signs its
# notifications), as PEM files. GRIDCARE_PAYMENT_SANDBOX=1 mounts the bundled local sandbox
# provider at /sandbox-pay/ (on under DEBUG, i.e. the demo and the tests; off otherwise): any of
# the four left unset then points at the sandbox, whose keys and ours are made on first use in
# var/payment-sandbox/ (never committed).
GRIDCARE_PAYMENT_SANDBOX = os.environ.get("GRIDCARE_PAYMENT_SANDBOX", "1" if DEBUG else "0") == "1"
if GRIDCARE_PAYMENT_SANDBOX and not DEBUG:
    # The sandbox pays any order without money changing hands: never on a production server.
    raise ImproperlyConfigured("GRIDCARE_PAYMENT_SANDBOX=1 is refused unless GRIDCARE_DEBUG=1.")
_SANDBOX_KEY_DIR = VAR_DIR / "payment-sandbox"
PAYMENT_PROVIDER: dict[str, str | bool | Path] = {
    "SANDBOX": GRIDCARE_PAYMENT_SANDBOX,
    "SANDBOX_KEY_DIR": _SANDBOX_KEY_DIR,
    "APP_ID": os.environ.get(
        "GRIDCARE_PROVIDER_APP_ID", "2026112900000001" if GRIDCARE_PAYMENT_SANDBOX else ""
    ),
    "GATEWAY_URL": os.environ.get(
        "GRIDCARE_PROVIDER_GATEWAY_URL", "/sandbox-pay/gateway/" if GRIDCARE_PAYMENT_SANDBOX else ""
    ),
    "PRIVATE_KEY_FILE": os.environ.get(
        "GRIDCARE_PROVIDER_PRIVATE_KEY_FILE",
        str(_SANDBOX_KEY_DIR / "merchant.pem") if GRIDCARE_PAYMENT_SANDBOX else "",
    ),
    "PROVIDER_PUBLIC_KEY_FILE": os.environ.get(
        "GRIDCARE_PROVIDER_PUBLIC_KEY_FILE",
        str(_SANDBOX_KEY_DIR / "provider.pub.pem") if GRIDCARE_PAYMENT_SANDBOX else "",
    ),
}
# "Pay" answers a form post with a redirect to the gateway, which the CSP's form-action must
# allow when the gateway is another site (the sandbox is on our own).
if str(PAYMENT_PROVIDER["GATEWAY_URL"]).startswith(("https://", "http://")):
    from urllib.parse import urlsplit as _urlsplit

    _gateway = _urlsplit(str(PAYMENT_PROVIDER["GATEWAY_URL"]))
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(f"{_gateway.scheme}://{_gateway.netloc}")
# --- end of third-party payment provider ---------------------------------------------------------

# --- prepaid (预付费 / 远程费控, issue 6; docs/prepaid.md) ---------------------------------------
GRIDCARE_PREPAID = {
    # Low-balance alert thresholds (yuan) of a new arrangement, highest first.
    "ALERT_THRESHOLDS": ["50.00", "20.00", "0.00"],
    # How far below zero the available balance may go before a cut-off is ordered (yuan).
    "ALLOWED_OVERDRAFT": "0.00",
    # No cut-off is carried out from QUIET_FROM until QUIET_UNTIL (local time), nor on a
    # statutory holiday (gridcare.kit.calendar): the order waits.
    "QUIET_FROM": "22:00",
    "QUIET_UNTIL": "07:00",
    "QUIET_ON_HOLIDAYS": True,
}
# --- end of prepaid -------------------------------------------------------------------------------
