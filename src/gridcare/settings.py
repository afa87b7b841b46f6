"""Django settings for GridCare.

Configuration comes from the environment so one code path serves the embedded SQLite demo
and PostgreSQL production: ``DATABASE_URL`` (default: SQLite in ``var/``),
``GRIDCARE_SECRET_KEY``, ``GRIDCARE_DEBUG`` and ``GRIDCARE_ALLOWED_HOSTS``.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("GRIDCARE_VAR_DIR", PROJECT_DIR / "var"))

DEBUG = os.environ.get("GRIDCARE_DEBUG", "1") == "1"
_DEMO_SECRET_KEY = "gridcare-demo-insecure-key-change-me"
SECRET_KEY = os.environ.get("GRIDCARE_SECRET_KEY", _DEMO_SECRET_KEY)
if not DEBUG and SECRET_KEY == _DEMO_SECRET_KEY:
    # The demo key is public: a production server must never sign sessions with it.
    raise ImproperlyConfigured("Set GRIDCARE_SECRET_KEY: the demo key is refused unless GRIDCARE_DEBUG=1.")
ALLOWED_HOSTS = os.environ.get("GRIDCARE_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "gridcare.organization",
    "gridcare.identity",
    "gridcare.audit",
    "gridcare.customers",
    "gridcare.metering",
    "gridcare.exchange",
    "gridcare.demo",
    "gridcare.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "gridcare.web.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "gridcare.urls"
WSGI_APPLICATION = "gridcare.wsgi.application"
AUTH_USER_MODEL = "identity.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"

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
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
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
    # PII (issue 3 item 5): ID numbers and mobiles in log lines (search URLs) are masked.
    "filters": {"mask_personal_data": {"()": "gridcare.kit.masking.PersonalDataLogFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["mask_personal_data"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["mask_personal_data"],
        },
    },
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "loggers": {"django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

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
