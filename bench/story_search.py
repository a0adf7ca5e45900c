"""Story search over 100k stories: the app's full-text path (SQLite FTS5 bm25 behind
stories.search) against a LIKE scan of the same data with the same visibility rules, same run.
Target: median under 100 ms."""

import argparse
import itertools
import random
import statistics
import time

from _setup import django_setup, result

QUERIES = [
    "healthcare CFO ROI",
    "month-end close finance",
    "migration spreadsheets",
    "audit compliance",
    "forecast accuracy",
    "onboarding weeks",
    "store managers dashboards",
    "cost savings licence",
]
THEMES = [
    "finance",
    "close",
    "dashboard",
    "pilot",
    "ROI",
    "audit",
    "forecast",
    "migration",
    "spreadsheet",
    "onboarding",
    "adoption",
    "nurses",
    "stores",
    "plant",
    "board",
    "compliance",
    "savings",
    "weeks",
    "healthcare",
    "CFO",
    "month-end",
    "accuracy",
    "managers",
    "licence",
    "cost",
]


def vocabulary(rng: random.Random, size: int = 6000) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choices(letters, k=rng.randint(4, 10))) for _ in range(size)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n = 10_000 if args.quick else 100_000
    django_setup()
    from django.db import connection, transaction
    from django.utils import timezone

    from ovation.directory.models import Account, Contact, Industry
    from ovation.stories.search import StoryFilters, _visibility_sql, story_search_ids

    rng = random.Random(7)
    vocab = vocabulary(rng)
    cum = list(
        itertools.accumulate(1 / (rank + 1) for rank in range(len(vocab)))
    )  # Zipf-like frequencies

    def text(k: int) -> str:
        words = rng.choices(vocab, cum_weights=cum, k=k) + rng.sample(THEMES, 2)
        rng.shuffle(words)
        return " ".join(words)

    industries = [
        Industry.objects.create(name=name, slug=name.lower())
        for name in ["Healthcare", "Retail", "Finance", "Manufacturing", "Education"]
    ]
    accounts = Account.objects.bulk_create(
        [Account(name=f"Account {i}", industry=rng.choice(industries)) for i in range(2000)]
    )
    contacts = Contact.objects.bulk_create(
        [
            Contact(
                account=rng.choice(accounts),
                email=f"c{i}@example.com",
                first_name="Pat",
                last_name=f"Lee{i}",
                title=rng.choice(["CFO", "CIO", "Analyst", "Director of BI"]),
            )
            for i in range(20_000)
        ]
    )
    now = timezone.now()
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        rows = []
        for i in range(n):
            contact = contacts[rng.randrange(len(contacts))]
            rows.append(
                (
                    "quote",
                    f"Story {i}: {text(4)}",
                    text(40),
                    "result " + rng.choice(THEMES),
                    contact.id,
                    contact.account_id,
                    contact.title,
                    contact.account.industry_id,
                    "",
                    ", ".join(rng.sample(THEMES, 2)),
                    "",
                    "approved" if rng.random() < 0.8 else "pending",
                    "",
                    None,
                    "",
                    f"{contact.first_name} {contact.last_name} {contact.account.name} {contact.account.industry.name}",
                    now,
                    now,
                )
            )
        cursor.executemany(
            "INSERT INTO stories_story (kind, title, body, result, contact_id, account_id, hero_title, industry_id,"
            " persona, tags, link, status, approved_text_hash, approved_at, customer_note, facets_text, created_at,"
            " updated_at) VALUES (" + ",".join(["%s"] * 18) + ")",
            rows,
        )
        cursor.execute(
            "INSERT INTO stories_usageright (story_id, channel, expires_on, granted_at) "
            "SELECT id, 'web', NULL, %s FROM stories_story",
            [now],
        )
    print(f"loaded {n} stories in {time.perf_counter() - started:.1f} s ({connection.vendor})")

    def like_scan(q: str) -> list[int]:
        terms = q.split()
        where, params = _visibility_sql(StoryFilters(), timezone.localdate())
        conds = " AND ".join(
            ["(s.title LIKE %s OR s.body LIKE %s OR s.facets_text LIKE %s OR s.hero_title LIKE %s)"]
            * len(terms)
        )
        like_params = [p for t in terms for p in [f"%{t}%"] * 4]
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT s.id FROM stories_story s WHERE {conds} AND {where} "
                "ORDER BY s.updated_at DESC LIMIT 30",
                [*like_params, *params],
            )
            return [r[0] for r in cursor.fetchall()]

    def timed(fn, rounds: int) -> list[float]:
        times = []
        for _ in range(rounds):
            for q in QUERIES:
                t0 = time.perf_counter()
                fn(q)
                times.append((time.perf_counter() - t0) * 1000)
        return times

    rounds = 3 if args.quick else 5
    timed(lambda q: story_search_ids(q, limit=30), 1)  # warm caches
    app = timed(lambda q: story_search_ids(q, limit=30), rounds)
    like = timed(like_scan, rounds)
    app_med, like_med = statistics.median(app), statistics.median(like)
    print(f"full-text search: median {app_med:.1f} ms, worst {max(app):.1f} ms")
    print(f"LIKE scan:        median {like_med:.1f} ms, worst {max(like):.1f} ms")
    result("story_search_median_ms", app_med, like_med, app_med / like_med, "<100ms", app_med < 100)


if __name__ == "__main__":
    main()
