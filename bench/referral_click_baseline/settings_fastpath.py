"""Ovation's production settings plus the changes proposed for the click path: the
ClickFastPathMiddleware first in MIDDLEWARE and persistent SQLite connections. Used by
bench/referral_click.py for an informative extra run only (the RESULT lines measure the
settings as they are in config/settings)."""

import os

from config.settings.production import *  # noqa: F403
from config.settings.production import DATABASES, MIDDLEWARE

if os.environ.get("BENCH_FASTPATH", "1") == "1":
    MIDDLEWARE = ["ovation.referrals.middleware.ClickFastPathMiddleware", *MIDDLEWARE]
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("BENCH_CONN_MAX_AGE", "600"))
