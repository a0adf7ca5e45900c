"""Local development: `make run` and the demo."""

from .base import *  # noqa: F403

DEBUG = True
