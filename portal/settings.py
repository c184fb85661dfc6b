"""Settings for the isv-terms portal.

Everything an operator may change comes from the environment (see README.md);
the defaults run the portal on a laptop with SQLite and the local sandbox.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from bootstrap_wrapper import get_bootstrap_dir
from csp.constants import NONE, SELF
from django.conf.global_settings import LANGUAGES as DJANGO_LANGUAGES
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import to_locale

from onboarding.sandbox.config import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET
from portal.env import (
    env_bool,
    env_float,
    env_int,
    env_list,
    env_networks,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent

# A key for development only. Its prefix makes `check --deploy` flag it, and
# the application servers refuse to start with it unless debug mode is on
# (see portal/safety.py); commands that serve nothing may still use it.
DEVELOPMENT_SECRET_KEY = "django-insecure-development-only-key"  # noqa: S105

DEBUG = env_bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env_str("DJANGO_SECRET_KEY") or DEVELOPMENT_SECRET_KEY

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")

INSTALLED_APPS = [
    "onboarding.admin_site.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "csp",
    "axes",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_countries",
    # Before django_tasks_db, so that the portal's db_worker command, which
    # adds recovery of stranded submissions, is the one manage.py runs.
    "onboarding",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before the CSRF check, the first to read a posted body.
    "onboarding.uploads.RequestSizeLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: the lockout page it puts in place of a refused sign-in then passes
    # through all the others, and gets the same headers as any page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "onboarding.context_processors.chatapp_mode",
            ],
        },
    },
]

# Database

DEFAULT_SQLITE_PATH = BASE_DIR / "var" / "db.sqlite3"
DATABASE_URL = env_str("DATABASE_URL")
if not DATABASE_URL:
    DEFAULT_SQLITE_PATH.parent.mkdir(exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL or f"sqlite:///{DEFAULT_SQLITE_PATH}",
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Workers and web requests write to the same file: WAL lets readers carry on
    # during a write, IMMEDIATE takes the write lock up front so a transaction
    # never fails half-way on an upgrade, and the timeout makes writers queue.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Tests get a file too, not Django's default in-memory database: workers
    # in threads then lock and wait exactly as they do in production.
    DEFAULT_SQLITE_PATH.parent.mkdir(exist_ok=True)
    # TEST_SQLITE_PATH lets two test runs on one machine keep apart.
    DATABASES["default"]["TEST"] = {
        "NAME": env_str("TEST_SQLITE_PATH")
        or str(DEFAULT_SQLITE_PATH.parent / "test.sqlite3")
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Authentication

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "onboarding:submission_list"
LOGOUT_REDIRECT_URL = "login"

# Sign-in throttling: after SIGN_IN_FAILURE_LIMIT wrong passwords, a username
# is locked from that address for SIGN_IN_LOCKOUT_MINUTES, on the portal's
# sign-in page and the admin's alike; after SIGN_IN_ADDRESS_FAILURE_LIMIT wrong
# passwords from one address, whatever the usernames, the address is locked;
# after SIGN_IN_USERNAME_FAILURE_LIMIT wrong passwords for one username,
# whatever the addresses, the username is locked from everywhere. Each attempt
# while locked starts the wait again; a successful sign-in clears the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
SIGN_IN_FAILURE_LIMIT = env_int("SIGN_IN_FAILURE_LIMIT", 5, minimum=1)
SIGN_IN_LOCKOUT_MINUTES = env_int("SIGN_IN_LOCKOUT_MINUTES", 15, minimum=1)
AXES_FAILURE_LIMIT = SIGN_IN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=SIGN_IN_LOCKOUT_MINUTES)
# Many people may share an address (an office behind one router), so the
# address alone is locked only well after a username would be.
SIGN_IN_ADDRESS_FAILURE_LIMIT = env_int(
    "SIGN_IN_ADDRESS_FAILURE_LIMIT", 30, minimum=SIGN_IN_FAILURE_LIMIT
)
# Anyone can type a colleague's username, and locking it locks the colleague
# out: the limit sits far above what one person mistyping reaches, so that
# only sustained guessing, from however many addresses, trips it.
SIGN_IN_USERNAME_FAILURE_LIMIT = env_int(
    "SIGN_IN_USERNAME_FAILURE_LIMIT", 50, minimum=SIGN_IN_FAILURE_LIMIT
)
AXES_LOCKOUT_PARAMETERS = "portal.throttling.lockout_parameters"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "portal.throttling.lockout_response"
AXES_CLIENT_IP_CALLABLE = "portal.throttling.client_address"
# Failures and lockouts are still logged; only the banner at every start goes.
AXES_VERBOSE = False
# How many proxies of our own stand in front of the portal, each adding the
# address it received a request from to X-Forwarded-For, and the addresses
# they connect from. With none, or from any other peer, the header is ignored:
# anyone can send it.
TRUSTED_PROXY_COUNT = env_int("DJANGO_TRUSTED_PROXY_COUNT", 0, minimum=0)
TRUSTED_PROXIES = env_networks("DJANGO_TRUSTED_PROXIES", "127.0.0.1,::1")

# Security. With debug mode off the defaults suit a portal reached over HTTPS
# only; README.md says what to change behind a proxy that terminates TLS.

SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# A load balancer checks health over plain HTTP from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int(
    "DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600, minimum=0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool(
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True
)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
# Only for a proxy that always sets X-Forwarded-Proto, overwriting what the
# client sent; otherwise a client could claim HTTPS over plain HTTP.
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
for origin in CSRF_TRUSTED_ORIGINS:
    if not origin.startswith(("https://", "http://")):
        raise ImproperlyConfigured(
            "DJANGO_CSRF_TRUSTED_ORIGINS must list origins with their scheme, "
            f"such as https://terms.example.com, not {origin!r}."
        )

# Pages load the portal's own files only, through <script src> and <link>:
# no inline script or style, nothing from another site.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Bootstrap's stylesheet draws small icons (a select's arrow, a check
        # mark) as data: images.
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Internationalisation: a language is offered once its catalogue exists under
# locale/, so adding one needs no change here.

USE_I18N = True
USE_TZ = True
TIME_ZONE = env_str("DJANGO_TIME_ZONE", "UTC")
LANGUAGE_CODE = "en"
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGES = [
    (code, name)
    for code, name in DJANGO_LANGUAGES
    if code == LANGUAGE_CODE or (BASE_DIR / "locale" / to_locale(code)).is_dir()
]

# Static files and uploaded agreements

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static", ("bootstrap", get_bootstrap_dir())]

# Agreements are private: no URL serves MEDIA_ROOT, only the download view,
# which checks who is asking.
MEDIA_ROOT = BASE_DIR / (env_str("DJANGO_MEDIA_ROOT") or "var/media")

STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# Alibaba's console asks for an agreement PDF of at most 2 MB.
AGREEMENT_MAX_BYTES = env_int("AGREEMENT_MAX_BYTES", 2 * 1024 * 1024, minimum=1)

# Uploads: a request body may hold the agreement and the form's few fields,
# and nothing more; onboarding/uploads.py stops reading at either limit.
REQUEST_MAX_BYTES = AGREEMENT_MAX_BYTES + 256 * 1024
FILE_UPLOAD_HANDLERS = [
    "onboarding.uploads.AgreementUploadLimit",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# The limit handler refuses a second file with a message; Django's own guard
# stays behind it, one file later, for a request that gets past it.
DATA_UPLOAD_MAX_NUMBER_FILES = 2

# Alibaba Cloud ChatApp. Without a key pair the portal runs in sandbox mode:
# it talks to the local stand-in (manage.py sandbox) with the sandbox's demo
# key pair, and every page says so. With debug mode off, the servers and the
# worker refuse to start in sandbox mode unless CHATAPP_SANDBOX=1 asks for it
# (see portal/safety.py): a deployment that lost its keys stops, rather than
# send customers' terms to a stand-in.

ALIBABA_CLOUD_ACCESS_KEY_ID = env_str("ALIBABA_CLOUD_ACCESS_KEY_ID")
ALIBABA_CLOUD_ACCESS_KEY_SECRET = env_str("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
if bool(ALIBABA_CLOUD_ACCESS_KEY_ID) != bool(ALIBABA_CLOUD_ACCESS_KEY_SECRET):
    missing = (
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
        if ALIBABA_CLOUD_ACCESS_KEY_ID
        else "ALIBABA_CLOUD_ACCESS_KEY_ID"
    )
    raise ImproperlyConfigured(
        f"{missing} must be set too: the key pair comes as a pair. Leave both "
        "unset to run against the local sandbox."
    )

CHATAPP_SANDBOX = not ALIBABA_CLOUD_ACCESS_KEY_ID
CHATAPP_SANDBOX_REQUESTED = env_bool("CHATAPP_SANDBOX", default=False)
if CHATAPP_SANDBOX_REQUESTED and not CHATAPP_SANDBOX:
    raise ImproperlyConfigured(
        "CHATAPP_SANDBOX=1 asks for the local sandbox, but "
        "ALIBABA_CLOUD_ACCESS_KEY_ID is set too: unset one of them."
    )
SANDBOX_PORT = env_int("SANDBOX_PORT", 8001, minimum=1)
if CHATAPP_SANDBOX:
    ALIBABA_CLOUD_ACCESS_KEY_ID = DEMO_ACCESS_KEY_ID
    ALIBABA_CLOUD_ACCESS_KEY_SECRET = DEMO_ACCESS_KEY_SECRET
CHATAPP_ENDPOINT = env_str("CHATAPP_ENDPOINT") or (
    f"http://127.0.0.1:{SANDBOX_PORT}"
    if CHATAPP_SANDBOX
    else "https://cams.ap-southeast-1.aliyuncs.com"
)
CHATAPP_RATE_LIMIT = env_int("CHATAPP_RATE_LIMIT", 5, minimum=1)
# Seconds to wait for a connection, and then for an answer, on every call.
CHATAPP_CONNECT_TIMEOUT = env_float("CHATAPP_CONNECT_TIMEOUT", 3.0)
CHATAPP_READ_TIMEOUT = env_float("CHATAPP_READ_TIMEOUT", 10.0)
# An upload of an agreement of at most a few megabytes.
CHATAPP_UPLOAD_TIMEOUT = env_float("CHATAPP_UPLOAD_TIMEOUT", 60.0)

# Processing: retries back off exponentially with full jitter, each delay
# drawn between 0 and min(max delay, base x 2^(attempt - 1)). With the
# defaults, ten attempts spread over up to about an hour.
CHATAPP_RETRY_BASE_DELAY = env_float("CHATAPP_RETRY_BASE_DELAY", 10.0)
CHATAPP_RETRY_MAX_DELAY = env_float("CHATAPP_RETRY_MAX_DELAY", 1200.0)
CHATAPP_MAX_ATTEMPTS = env_int("CHATAPP_MAX_ATTEMPTS", 10, minimum=1)
# A worker that would wait longer than this for its turn gives the
# submission back to the queue instead.
CHATAPP_MAX_SLOT_WAIT = env_float("CHATAPP_MAX_SLOT_WAIT", 5.0)
# How long a worker holds a submission before it is presumed dead.
PIPELINE_LEASE_SECONDS = env_int("PIPELINE_LEASE_SECONDS", 180, minimum=5)
# How often each worker looks for submissions a dead worker left behind.
PIPELINE_RECOVERY_SECONDS = env_float("PIPELINE_RECOVERY_SECONDS", 30.0)
# After an account-level refusal, how long before one trial submission.
PIPELINE_COOL_OFF_SECONDS = env_int("PIPELINE_COOL_OFF_SECONDS", 900, minimum=1)

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Each process keeps small, short-lived values in its own memory: nothing the
# portal caches must be shared between processes.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Seconds the admin's list may show whole-table counts, chart and date links
# before reading them again; 0 reads them on every visit.
ADMIN_FIGURES_MAX_AGE = env_int("ADMIN_FIGURES_MAX_AGE", 30, minimum=0)

# Forms

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Mail: printed to the console unless a real backend is configured.

EMAIL_BACKEND = env_str(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_TIMEOUT = 10
# Where links in email point, and who hears of a pause besides superusers.
PORTAL_BASE_URL = env_str("PORTAL_BASE_URL", "http://127.0.0.1:8000")
ALERT_EMAILS = env_list("ALERT_EMAILS")
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "isv-terms@localhost")

# Logging: one stream, readable by an operator; each module logs under its name.
# LOG_FORMAT=json writes one JSON object per line, for a log collector.

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_LEVEL = (env_str("LOG_LEVEL") or "INFO").upper()
if LOG_LEVEL not in LOG_LEVELS:
    raise ImproperlyConfigured(
        f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, "
        f"not {env_str('LOG_LEVEL')!r}."
    )
LOG_FORMAT = (env_str("LOG_FORMAT") or "plain").lower()
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(
        f"LOG_FORMAT must be plain or json, not {env_str('LOG_FORMAT')!r}."
    )
# Django's own debug output (each query in debug mode, each template variable
# it could not find) would bury the portal's lines.
DJANGO_LOG_LEVEL = "INFO" if LOG_LEVEL == "DEBUG" else LOG_LEVEL

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "portal.logs.JsonFormatter"},
    },
    # On the handler rather than on loggers, so that every logger's records,
    # those of libraries included, pass through it.
    "filters": {"redact_secrets": {"()": "portal.logs.RedactSecrets"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["redact_secrets"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {
            "handlers": ["console"],
            "level": DJANGO_LOG_LEVEL,
            "propagate": False,
        },
        # runserver's request lines, which otherwise keep a handler of their own.
        "django.server": {
            "handlers": ["console"],
            "level": DJANGO_LOG_LEVEL,
            "propagate": False,
        },
        # Their debug output carries request headers, STS tokens among them.
        "oss2": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
    },
}
