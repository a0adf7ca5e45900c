"""Shared state for `ovation demo`: a seeded random source and Faker, the scale, progress
bars and the logins to print. Each app's `demo.py` has `load(ctx)` (and optionally
`already_loaded(ctx)` and `reset(ctx)`), run in the order of settings.OVATION_APPS."""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from faker import Faker


@dataclass
class DemoContext:
    seed: int = 42
    factor: int = 1
    stdout: Any = None
    progress: Any = None
    logins: list[str] = field(default_factory=list)
    now: datetime = field(
        default_factory=lambda: timezone.now().replace(minute=0, second=0, microsecond=0)
    )

    def __post_init__(self):
        self.random = random.Random(self.seed)
        self.fake = Faker(["en_US", "en_GB", "de_DE", "fr_FR", "nl_BE"])
        self.fake.seed_instance(self.seed)

    def rng(self, name: str) -> random.Random:
        """A random source per app, so one app's demo does not shift another's."""
        return random.Random(f"{self.seed}:{name}")

    def days_ago(self, rng: random.Random, max_days: int, min_days: int = 0) -> datetime:
        return self.now - timedelta(days=rng.uniform(min_days, max_days))

    def track(self, iterable, *, description: str, total: int | None = None):
        if self.progress is None:
            yield from iterable
            return
        task = self.progress.add_task(description, total=total)
        for item in iterable:
            yield item
            self.progress.advance(task)

    def load_existing(self, module) -> None:
        if hasattr(module, "logins"):
            self.logins.extend(module.logins(self))
