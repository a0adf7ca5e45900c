"""Settings shared by every environment. Everything deployment-specific is read from the
environment (or a `.env` file beside manage.py), see INTERFACES.md."""

import os
from pathlib import Path

import dj_database_url
from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent.parent
load_dotenv(BASE_DIR / ".env")


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


VAR_DIR = Path(os.environ.get("OVATION_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = os.environ.get("SECRET_KEY", "insecure-dev-key-change-me-in-production-0123456789")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
OVATION_BASE_URL = os.environ.get("OVATION_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", OVATION_BASE_URL)

OVATION_APPS = [
    "ovation.core",
    "ovation.users",
    "ovation.directory",
    "ovation.activity",
    "ovation.ledger",
    "ovation.pulse",
    "ovation.hub",
    "ovation.rewards",
    "ovation.references",
    "ovation.referrals",
    "ovation.motivation",
    "ovation.programs",
    "ovation.stories",
    "ovation.automations",
    "ovation.insights",
    "ovation.api",
]

INSTALLED_APPS = [
    # Ovation's apps first, so that their templates override allauth's and Django's.
    *OVATION_APPS,
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rules.apps.AutodiscoverRulesConfig",
    "django_htmx",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    # /r/<code> is the busiest URL: known codes are answered here, before the rest of the stack
    # (it checks allowed hosts and sets the security headers itself).
    "ovation.referrals.middleware.ClickFastPathMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "ovation.core.middleware.RequestOriginMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ovation.core.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite is the embedded default; WAL + IMMEDIATE transactions make concurrent writers queue
# instead of failing with "database is locked" (STACK-NOTES trap 14).
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": (
        "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=20000; PRAGMA synchronous=NORMAL;"
        " PRAGMA foreign_keys=ON;"
    ),
}
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'ovation.sqlite3'}")
# Persistent connections: opening a SQLite connection runs the PRAGMAs below and a checkpoint on
# close, which costs more than a click; health checks drop connections that went bad.
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "600")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = dict(SQLITE_OPTIONS)
IS_SQLITE = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_ADAPTER = "ovation.users.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 600
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 3
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = True
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
AXES_FAILURE_LIMIT = 10
AXES_COOLOFF_TIME = 1  # hours
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]

# --- I18N -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static & media -------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Email ----------------------------------------------------------------------------------
EMAIL_URL = os.environ.get("EMAIL_URL", "console://")


def _email_settings(url: str) -> dict:
    from urllib.parse import unquote, urlparse

    parsed = urlparse(url)
    scheme = parsed.scheme
    if scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme == "locmem":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if scheme == "file":
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": parsed.path or str(VAR_DIR / "mail"),
        }
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parsed.hostname or "localhost",
        "EMAIL_PORT": parsed.port or (465 if scheme == "smtps" else 587),
        "EMAIL_HOST_USER": unquote(parsed.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parsed.password or ""),
        "EMAIL_USE_TLS": scheme in {"smtp+tls", "submission"},
        "EMAIL_USE_SSL": scheme == "smtps",
    }


globals().update(_email_settings(EMAIL_URL))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Ovation <ovation@localhost>")

# --- Cache & tasks --------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "ovation_cache",
        }
    }

TASKS_BACKEND = os.environ.get("OVATION_TASKS_BACKEND", "rq" if REDIS_URL else "db")
if TASKS_BACKEND == "rq":
    INSTALLED_APPS.append("django_tasks_rq")
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    RQ = {"JOB_CLASS": "django_tasks_rq.Job"}
elif TASKS_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

RATELIMIT_USE_CACHE = "default"
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001", "django_ratelimit.E003"]

# --- Security headers -----------------------------------------------------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# --- Ovation --------------------------------------------------------------------------------
# Staff navigation: (label, url name, permission). Entries whose URL does not resolve are
# hidden, so the navigation only shows modules that exist.
# Staff navigation: (menu, label, URL name, permission). Entries with a menu are grouped under
# it; a menu with one entry the user may open shows as a plain link.
OVATION_NAV = [
    ("", "Home", "insights:home", "ovation.view_directory"),
    ("Customers", "Accounts", "directory:account-list", "ovation.view_directory"),
    ("Customers", "Contacts", "directory:contact-list", "ovation.view_directory"),
    ("Customers", "Pulse (NPS)", "pulse:dashboard", "ovation.view_pulse"),
    ("Customers", "Import", "directory:import-start", "ovation.import_data"),
    ("Advocates", "Hub admin", "hub:staff-home", "ovation.manage_programs"),
    ("Advocates", "Programs & events", "programs:staff-home", "ovation.follow_up"),
    ("Advocates", "Rewards", "rewards:staff-list", "ovation.manage_programs"),
    ("Advocates", "Points", "ledger:home", "ovation.adjust_points"),
    ("Advocates", "Motivation", "motivation:staff-home", "ovation.manage_programs"),
    ("Sales", "References", "references:request-list", "ovation.use_references"),
    ("Sales", "Stories", "stories:search", "ovation.use_references"),
    ("Sales", "Referrals", "referrals:staff-home", "ovation.manage_programs"),
    ("", "Insights", "insights:dashboard", "ovation.view_insights"),
    ("Admin", "Automations", "automations:rule-list", "ovation.manage_programs"),
    ("Admin", "Settings", "users:settings", "ovation.view_directory"),
]
OVATION_WEBHOOKS_ALLOW_PRIVATE = env_bool("OVATION_WEBHOOKS_ALLOW_PRIVATE", False)

# `ovation import KIND` / `ovation export KIND`: the importer object for each kind, owned by
# the app whose data it is. Kinds whose app has not landed yet are reported as unavailable.
OVATION_IMPORTERS = {
    "accounts": "ovation.directory.imports.accounts.IMPORTER",
    "contacts": "ovation.directory.imports.contacts.IMPORTER",
    "activities": "ovation.directory.imports.activities.IMPORTER",
    "nps": "ovation.pulse.imports.IMPORTER",
    "opportunities": "ovation.references.imports.IMPORTER",
    "referrals": "ovation.referrals.imports.IMPORTER",
    "asks": "ovation.references.imports.ASKS_IMPORTER",
}

# Links in the advocate hub's navigation: (label, url name). Hidden when the URL does not resolve.
OVATION_HUB_NAV = [
    ("Home", "hub:home"),
    ("For you", "motivation:hub-for-you"),
    ("Challenges", "hub:challenge-list"),
    ("Rewards", "rewards:hub-catalogue"),
    ("Refer a peer", "referrals:hub-links"),
    ("Programs", "programs:hub-list"),
    ("Ideas", "programs:hub-ideas"),
    ("Reference requests", "references:hub-requests"),
    ("My stories", "stories:hub-list"),
    ("Leaderboard", "hub:leaderboard"),
    ("Profile", "hub:profile"),
]

# Company-wide defaults, all optional (see README "Configuration").
OVATION_COMPANY_TIME_ZONE = os.environ.get("OVATION_COMPANY_TIME_ZONE", "UTC")
OVATION_CRM_WEBHOOK_SECRET = os.environ.get("OVATION_CRM_WEBHOOK_SECRET", "")
OVATION_REFERRAL_WEBHOOK_SECRET = os.environ.get("OVATION_REFERRAL_WEBHOOK_SECRET", "")
OVATION_TRUST_X_FORWARDED_FOR = env_bool("OVATION_TRUST_X_FORWARDED_FOR", False)
OVATION_POINTS_EXPIRE_MONTHS = int(os.environ.get("OVATION_POINTS_EXPIRE_MONTHS", "0")) or None
