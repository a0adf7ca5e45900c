"""Minimal settings: no middleware, one app, the same database options as Ovation's base."""

import os
from pathlib import Path

import dj_database_url

VAR_DIR = Path(os.environ["OVATION_VAR_DIR"])
SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["referral_click_baseline"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "referral_click_baseline.urls"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATABASES = {
    "default": dj_database_url.parse(
        f"sqlite:///{VAR_DIR / 'baseline.sqlite3'}",
        conn_max_age=int(os.environ.get("BENCH_CONN_MAX_AGE", "0")),
    )
}
DATABASES["default"]["OPTIONS"] = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": (
        "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=20000; PRAGMA synchronous=NORMAL;"
        " PRAGMA foreign_keys=ON;"
    ),
}
