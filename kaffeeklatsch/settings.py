"""Django settings for Kaffeeklatsch.

Every setting comes from an environment variable with a safe default, so the same
code runs on a laptop (SQLite, no configuration) and in production (PostgreSQL, SMTP,
a reverse proxy). See the README's production section for the full list.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("KAFFEEKLATSCH_DATA_DIR", "var")).resolve()


def _secret_key() -> str:
    """The key from SECRET_KEY, or one generated once and kept in the data directory."""
    given = os.environ.get("SECRET_KEY", "").strip()
    if given:
        return given
    path = DATA_DIR / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
        return key


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

BASE_URL = os.environ.get("KAFFEEKLATSCH_BASE_URL", "http://localhost:8000").rstrip("/")
VIDEO_URL_TEMPLATE = os.environ.get("KAFFEEKLATSCH_VIDEO_URL_TEMPLATE", "")
# Days after a round's introductions until "Did you meet?" is asked.
FEEDBACK_DELAY_DAYS = int(os.environ.get("KAFFEEKLATSCH_FEEDBACK_DAYS", "5"))
# How long links in e-mails stay valid.
MAGIC_LINK_MAX_AGE = int(os.environ.get("KAFFEEKLATSCH_LINK_HOURS", "72")) * 3600
FEEDBACK_LINK_MAX_AGE = 60 * 24 * 3600
# Retention: what is kept how long (days). The worker erases the rest.
RETENTION_LEFT_DAYS = int(os.environ.get("KAFFEEKLATSCH_RETENTION_LEFT_DAYS", "90"))
RETENTION_UNCONFIRMED_DAYS = int(os.environ.get("KAFFEEKLATSCH_RETENTION_UNCONFIRMED_DAYS", "14"))
RETENTION_EMAIL_DAYS = int(os.environ.get("KAFFEEKLATSCH_RETENTION_EMAIL_DAYS", "30"))
# Who is responsible for the personal data on this server, shown on the privacy page:
# the organisation's name and postal address, how to reach it about data protection,
# and its data-protection officer (if it has one).
PRIVACY_CONTROLLER = os.environ.get("KAFFEEKLATSCH_PRIVACY_CONTROLLER", "").strip()
PRIVACY_CONTACT = os.environ.get("KAFFEEKLATSCH_PRIVACY_CONTACT", "").strip()
PRIVACY_OFFICER = os.environ.get("KAFFEEKLATSCH_PRIVACY_OFFICER", "").strip()
CSV_IMPORT_MAX_BYTES = 5 * 1024 * 1024
# Uploads and forms: nothing larger is read into memory; a bigger CSV file is refused.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Sign-ups, sign-in links and invitations one client may ask for per hour.
RATE_LIMIT_PER_HOUR = int(os.environ.get("KAFFEEKLATSCH_RATE_LIMIT_PER_HOUR", "30"))
# Outbound requests to addresses organisers type (chat servers, webhooks) go to public
# addresses only; these host names and CIDR ranges are allowed besides, e.g.
# "matrix.intern.example,10.0.0.0/8" for a Matrix server in the intranet.
OUTBOUND_ALLOW = env_list("KAFFEEKLATSCH_OUTBOUND_ALLOW")
# Behind a reverse proxy the client's address is the last one in X-Forwarded-For.
BEHIND_PROXY = env_bool("KAFFEEKLATSCH_BEHIND_PROXY", BASE_URL.startswith("https://"))

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS") or (
    [BASE_URL] if BASE_URL.startswith("https://") else []
)
if BASE_URL.startswith("https://"):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    # Whether HSTS also binds every other site under the same domain is the
    # organisation's decision, so it is off unless asked for.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    SILENCED_SYSTEM_CHECKS = [
        check
        for check, chosen in (
            ("security.W005", SECURE_HSTS_INCLUDE_SUBDOMAINS),
            ("security.W021", SECURE_HSTS_PRELOAD),
        )
        if not chosen
    ]
# A form refused for a missing or stale CSRF token gets the site's own page.
CSRF_FAILURE_VIEW = "kaffeeklatsch.front.errors.csrf_failure"
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 14 * 24 * 3600
# Messages live in the session: no cookie but the session and the CSRF token.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "kaffeeklatsch.front",
    "kaffeeklatsch.accounts",
    "kaffeeklatsch.programmes",
    "kaffeeklatsch.participants",
    "kaffeeklatsch.rounds",
    "kaffeeklatsch.notifications",
    "kaffeeklatsch.jobs",
    "kaffeeklatsch.insights",
    "kaffeeklatsch.reach",
    "kaffeeklatsch.downloads",
    "kaffeeklatsch.api",
    "rest_framework",
    "drf_spectacular",
    "kaffeeklatsch.sso",
    "kaffeeklatsch.scim",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "kaffeeklatsch.front.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kaffeeklatsch.front.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Turns a refused password sign-in into the page that says when to try again.
    "axes.middleware.AxesMiddleware",
]

# Django's user name and password backend; organiser pages look the user up with a
# statement built once (kaffeeklatsch/accounts/backends.py).
# django-axes first: it refuses a password sign-in after too many failures
# (kaffeeklatsch/accounts/throttle.py) before a password is checked.
AUTHENTICATION_BACKENDS = [
    "kaffeeklatsch.accounts.throttle.SignInGuard",
    "kaffeeklatsch.accounts.backends.OrganiserBackend",
]
# Password sign-in (the site's and the admin's) is throttled by django-axes: the
# failures of one account from one address lock that combination, and the failures of
# one address for any accounts lock the address (guessing many accounts at once); a
# lock ends this long after the last counted failure. Failures while locked are not
# counted, so the time the page names holds.
SIGN_IN_FAILURES_PER_ACCOUNT = 10
SIGN_IN_FAILURES_PER_ADDRESS = 50
SIGN_IN_LOCK_MINUTES = 15
AXES_HANDLER = "kaffeeklatsch.accounts.throttle.SignInThrottle"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = SIGN_IN_FAILURES_PER_ACCOUNT
AXES_COOLOFF_TIME = dt.timedelta(minutes=SIGN_IN_LOCK_MINUTES)
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "kaffeeklatsch.front.ratelimit.client_ip"
AXES_LOCKOUT_CALLABLE = "kaffeeklatsch.accounts.throttle.locked_out"
# Nothing is kept of successful sign-ins, and what is logged of a failure names
# neither the account nor the address (never the password).
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "email"]
# Password reset: requests one address may make per hour (RATE_LIMIT_PER_HOUR) and
# e-mails one address of an account gets per hour.
PASSWORD_RESETS_PER_EMAIL = 3

ROOT_URLCONF = "kaffeeklatsch.urls"
WSGI_APPLICATION = "kaffeeklatsch.wsgi.application"

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
                "kaffeeklatsch.front.context.participant",
            ],
        },
    },
]

# Forms are drawn by Django's widget templates inside the product's own form and
# field templates (kaffeeklatsch/front/forms.py).
FORM_RENDERER = "kaffeeklatsch.front.forms.FormRenderer"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'kaffeeklatsch.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writes wait their turn instead of failing with "database is locked":
    # a transaction takes the write lock when it begins (a deferred one that reads
    # first and then wants to write cannot wait, SQLite refuses it at once), and a
    # connection waits up to the busy timeout for the lock. In WAL mode readers never
    # wait for the writer; NORMAL synchronisation is durable in that mode except for
    # the last transactions on a power cut, never corrupting the file.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": float(os.environ.get("KAFFEEKLATSCH_SQLITE_TIMEOUT", "20")),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        **DATABASES["default"].get("OPTIONS", {}),
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Single sign-on with the organisation's identity provider (OpenID Connect, see the
# README's "Single sign-on"). Off unless an issuer and a client are configured.
SSO_ISSUER = os.environ.get("KAFFEEKLATSCH_OIDC_ISSUER", "").strip().rstrip("/")
SSO_CLIENT_ID = os.environ.get("KAFFEEKLATSCH_OIDC_CLIENT_ID", "").strip()
SSO_CLIENT_SECRET = os.environ.get("KAFFEEKLATSCH_OIDC_CLIENT_SECRET", "").strip()
SSO_SCOPES = os.environ.get("KAFFEEKLATSCH_OIDC_SCOPES", "openid email profile").strip()
SSO_SIGN_ALGORITHM = os.environ.get("KAFFEEKLATSCH_OIDC_SIGN_ALGORITHM", "RS256").strip()
# Which claims hold what Kaffeeklatsch needs to know of a person. The subject claim
# names the account at the provider for good (Entra ID: "oid"); it is bound to the
# organiser account or participant at the first sign-in.
SSO_SUBJECT_CLAIM = os.environ.get("KAFFEEKLATSCH_OIDC_SUBJECT_CLAIM", "sub").strip() or "sub"
SSO_EMAIL_CLAIM = os.environ.get("KAFFEEKLATSCH_OIDC_EMAIL_CLAIM", "email").strip()
SSO_NAME_CLAIM = os.environ.get("KAFFEEKLATSCH_OIDC_NAME_CLAIM", "name").strip()
SSO_DEPARTMENT_CLAIM = os.environ.get("KAFFEEKLATSCH_OIDC_DEPARTMENT_CLAIM", "").strip()
SSO_LEVEL_CLAIM = os.environ.get("KAFFEEKLATSCH_OIDC_LEVEL_CLAIM", "").strip()
# Whether the e-mail claim must come with "email_verified": true (Entra ID sends no
# such claim; its addresses are managed by the tenant).
SSO_REQUIRE_VERIFIED_EMAIL = env_bool("KAFFEEKLATSCH_OIDC_REQUIRE_VERIFIED_EMAIL", True)
# Organisers sign in through the identity provider only: no password form.
SSO_REQUIRED = env_bool("KAFFEEKLATSCH_OIDC_REQUIRED", False)
# Who gets an organiser account at the first sign-in (nobody unless configured).
SSO_NEW_ORGANISER_DOMAINS = [
    domain.lower().lstrip("@") for domain in env_list("KAFFEEKLATSCH_OIDC_NEW_ORGANISER_DOMAINS")
]
SSO_GROUPS_CLAIM = os.environ.get("KAFFEEKLATSCH_OIDC_GROUPS_CLAIM", "groups").strip()
SSO_NEW_ORGANISER_GROUPS = env_list("KAFFEEKLATSCH_OIDC_NEW_ORGANISER_GROUPS")
SSO_TIMEOUT_SECONDS = float(os.environ.get("KAFFEEKLATSCH_OIDC_TIMEOUT_SECONDS", "10"))
# mozilla-django-oidc's own settings; the provider's endpoints come from its discovery
# document (kaffeeklatsch/sso/provider.py).
OIDC_RP_CLIENT_ID = SSO_CLIENT_ID
OIDC_RP_CLIENT_SECRET = SSO_CLIENT_SECRET
OIDC_RP_SIGN_ALGO = SSO_SIGN_ALGORITHM
OIDC_RP_SCOPES = SSO_SCOPES
OIDC_USE_NONCE = True
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
OIDC_AUTHENTICATION_CALLBACK_URL = "sso:callback"
OIDC_TIMEOUT = SSO_TIMEOUT_SECONDS
OIDC_STORE_ID_TOKEN = True
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "programmes:list"
LOGOUT_REDIRECT_URL = "front:home"

LANGUAGE_CODE = os.environ.get("KAFFEEKLATSCH_LANGUAGE", "de")
LANGUAGES = [("de", _("German")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Berlin")
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = os.environ.get("STATIC_ROOT") or None  # set it and run collectstatic in production
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
# Where Django's file-based e-mail backend writes (the demo of scripts/run.sh uses it).
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(DATA_DIR / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
# The first retry of an e-mail the mail server did not take comes after about this many
# seconds, then twice as long each time (with jitter), at most six hours.
EMAIL_RETRY_SECONDS = float(os.environ.get("KAFFEEKLATSCH_EMAIL_RETRY_SECONDS", "60"))
# A worker owns the e-mails it took this long; after a crash another worker takes them.
EMAIL_SEND_LEASE_SECONDS = float(os.environ.get("KAFFEEKLATSCH_EMAIL_LEASE_SECONDS", "600"))
EMAIL_BATCH_SIZE = int(os.environ.get("KAFFEEKLATSCH_EMAIL_BATCH", "200"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Kaffeeklatsch <kaffeeklatsch@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# A worker owns the preview or publication of a round it took this long, renewed as it
# reports progress; after a crash another worker does the work again.
ROUND_TASK_LEASE_SECONDS = float(os.environ.get("KAFFEEKLATSCH_ROUND_LEASE_SECONDS", "300"))
# A worker owns a background job it took this long, renewed every third of it while the
# job's handler runs (however long a chat server makes it wait); after a crash another
# worker takes the job when the lease has run out.
JOB_LEASE_SECONDS = 90.0

# Programmes of at least this many people get their insights read by the worker and
# shown "as of" a time, and their long downloads (letters, reports, spreadsheets)
# prepared in the background; smaller ones are computed for every request.
LARGE_PROGRAMME_PEOPLE = int(os.environ.get("KAFFEEKLATSCH_LARGE_PROGRAMME_PEOPLE", "5000"))
# Seconds the worker's figures of a large programme are shown before new ones are read
# (sooner when rounds, answers, arrivals or departures changed them).
INSIGHTS_SNAPSHOT_MAX_AGE = float(os.environ.get("KAFFEEKLATSCH_INSIGHTS_MAX_AGE", "900"))
# Hours a prepared download is kept for the organiser who asked for it.
DOWNLOAD_KEEP_HOURS = float(os.environ.get("KAFFEEKLATSCH_DOWNLOAD_KEEP_HOURS", "24"))
# The REST API (kaffeeklatsch/api): programme tokens only, requests per token and hour.
API_REQUESTS_PER_HOUR = int(os.environ.get("KAFFEEKLATSCH_API_REQUESTS_PER_HOUR", "3600"))
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["kaffeeklatsch.api.auth.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["kaffeeklatsch.api.auth.TokenScope"],
    "DEFAULT_THROTTLE_CLASSES": ["kaffeeklatsch.api.auth.TokenRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kaffeeklatsch API",
    "DESCRIPTION": (
        "Programmes, people, rounds, “Did you meet?” answers and insights of one "
        "programme. Send a token made on the programme's “Connections” page as "
        "`Authorization: Bearer <token>`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "kaffeeklatsch.api.schema.document_errors",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ParticipantStatusEnum": "kaffeeklatsch.participants.models.Participant.Status",
        "RoundStatusEnum": "kaffeeklatsch.rounds.models.Round.Status",
        "TaskStatusEnum": "kaffeeklatsch.rounds.models.RoundTask.Status",
        "ProgrammeKindEnum": "kaffeeklatsch.programmes.kinds.Kind",
    },
}

# No token, e-mail address or name in any log line (kaffeeklatsch.logs): every record
# is cleaned when it is made, and the filter cleans again on every handler, including
# runserver's request log (django.server) and Django's request and security loggers.
LOGGING_CONFIG = "kaffeeklatsch.logs.configure"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"personal_data": {"()": "kaffeeklatsch.logs.PersonalDataFilter"}},
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["personal_data"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["personal_data"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
}
