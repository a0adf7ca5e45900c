"""Reference matching benchmark: rank 100k contacts for one reference request.

Ovation: the app's matching path, `ovation.references.pool.match(request)` -- request and
settings lookups, the cached column pool (version check), hard filters (account, consent,
quiet periods), the fatigue rules over every ask, the weighted soft score with BM25 text
similarity, top-k, explanations and the contact rows of the winners.
Baseline (the floor): a plain NumPy weighted score of the same candidates over ready-made
arrays, plus top-k -- no database, no filters, no explanations.
Targets: app median under 200 ms and within 5x of the floor. The one-off pool build (after a
directory change) is printed too. `--quick` runs 10k contacts."""

import argparse
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import django_setup, result  # noqa: E402


def generate(n_contacts: int, rng) -> None:
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from ovation.directory.models import Account, Consent, Contact, Industry, Product, Region
    from ovation.references.models import Ask

    call_command("createcachetable", verbosity=0)
    industries = [
        Industry.objects.create(name=n, slug=n.lower().replace(" ", "-"))
        for n in ["Healthcare", "Retail", "Software", "Manufacturing", "Finance", "Education"]
    ]
    regions = [
        Region.objects.create(name=n, slug=n.lower().replace(" ", "-"))
        for n in ["EMEA", "North America", "APAC", "LATAM"]
    ]
    products = [Product.objects.create(name=f"Product {i}", slug=f"p{i}") for i in range(6)]
    countries = {0: ["DE", "FR", "GB"], 1: ["US", "CA"], 2: ["JP", "AU"], 3: ["BR", "MX"]}
    tzs = {
        0: ["Europe/Berlin", "Europe/London"],
        1: ["America/New_York", "America/Chicago"],
        2: ["Asia/Tokyo"],
        3: ["America/Sao_Paulo"],
    }
    today = timezone.localdate()
    n_accounts = n_contacts // 10
    with transaction.atomic():
        accounts = []
        for i in range(n_accounts):
            r = rng.randrange(4)
            accounts.append(
                Account(
                    name=f"Account {i}",
                    industry=industries[rng.randrange(len(industries))],
                    region=regions[r],
                    country=rng.choice(countries[r]),
                    employee_band=rng.choice(Account.EmployeeBand.values),
                    status=rng.choices(["active", "at_risk", "churned"], weights=[85, 10, 5])[0],
                    renewal_date=today + timedelta(days=rng.randint(-100, 365)),
                    crm_id=f"B-ACC-{i}",
                )
            )
        Account.objects.bulk_create(accounts, batch_size=5000)
        accounts = list(Account.objects.order_by("id").values_list("id", "region_id"))
        through = Account.products.through
        through.objects.bulk_create(
            [
                through(account_id=a, product_id=p.id)
                for a, _ in accounts
                for p in rng.sample(products, rng.randint(1, 3))
            ],
            batch_size=5000,
        )
        region_index = {r.id: i for i, r in enumerate(regions)}
        contacts = []
        for i in range(n_contacts):
            acc, reg = accounts[i % n_accounts]
            contacts.append(
                Contact(
                    account_id=acc,
                    first_name="C",
                    last_name=str(i),
                    email=f"c{i}@bench.test",
                    seniority=rng.choice(["ic", "manager", "director", "vp", "c_level"]),
                    timezone=rng.choice(tzs[region_index[reg]]),
                    crm_id=f"B-CON-{i}",
                )
            )
        Contact.objects.bulk_create(contacts, batch_size=5000)
        ids = list(Contact.objects.values_list("id", "account_id"))
        now = timezone.now()
        Consent.objects.bulk_create(
            [
                Consent(
                    contact_id=c,
                    purpose="reference_calls",
                    is_granted=rng.random() < 0.9,
                    source="import",
                    recorded_at=now - timedelta(days=30),
                )
                for c, _ in ids
                if rng.random() < 0.6
            ],
            batch_size=5000,
        )
        notes = [
            "forecasting revenue with driver based planning",
            "dashboards for finance replacing spreadsheets",
            "embedded analytics portal",
            "governance lineage audit",
        ]
        Ask.objects.bulk_create(
            [
                Ask(
                    contact_id=c,
                    account_id=a,
                    channel="reference",
                    activity_type=rng.choice(["call", "call", "email", "challenge"]),
                    asked_at=now - timedelta(days=rng.uniform(1, 360)),
                    status=rng.choice(["completed", "declined", "accepted", "ignored"]),
                    note=rng.choice(notes) if rng.random() < 0.5 else "",
                )
                for c, a in rng.sample(ids, n_contacts * 3 // 10)
            ],
            batch_size=5000,
        )
    return industries[0], regions[0], products[:3]


def floor_arrays(request):
    """The same candidates' columns, ready for plain NumPy (built outside the timer)."""
    import numpy as np
    from django.utils import timezone

    from ovation.references.budget import epoch_days
    from ovation.references.models import MatchSettings
    from ovation.references.pool import ask_state, request_vector
    from ovation.references.scoring import bm25_query

    cols, state = ask_state()
    passes = cols.contact_active & cols.account_active & cols.consent["reference_calls"]
    idx = np.flatnonzero(passes)
    req = request_vector(request, cols, [p.pk for p in request.products.all()])
    text, _ = bm25_query(cols.text, cols.vocab, request.use_case)
    w = MatchSettings.current().weights()
    arrays = {
        "industry": cols.industry[idx],
        "region": cols.region[idx],
        "country": cols.country[idx],
        "band": cols.band[idx].astype(float),
        "products": cols.products[idx],
        "seniority": cols.seniority[idx].astype(float),
        "tz": cols.tz[idx],
        "text": text[idx],
        "last": state.last_ask[idx],
        "acc": state.ref_accepted[idx],
        "asked": state.ref_asked[idx],
        "rs": state.rating_sum[idx],
        "rn": state.rating_n[idx],
        "load": state.load[idx],
    }
    return arrays, req, w, epoch_days(timezone.now())


def floor_score(a, req, w, now):
    import numpy as np

    s = w["industry"] * (a["industry"] == req.industry)
    reg = np.where(a["country"] == req.country, 1.0, np.where(a["region"] == req.region, 0.8, 0.0))
    reg = np.maximum(reg, 0.5 * np.clip(1 - np.abs(a["tz"] - req.tz) / 12, 0, 1))
    s = s + w["region"] * reg
    s = s + w["size"] * (1 - np.abs(a["band"] - req.band) / 4)
    s = s + w["products"] * np.bitwise_count(a["products"] & req.products) / req.n_products
    s = s + w["text"] * a["text"]
    s = s + w["seniority"] * (1 - np.abs(a["seniority"] - req.seniority) / 4)
    s = s + w["recency"] * np.minimum((now - a["last"]) / 365, 1)
    s = s + w["acceptance"] * (a["acc"] + 1) / (a["asked"] + 2)
    s = s + w["rating"] * ((a["rs"] + 7) / (a["rn"] + 2) - 1) / 4
    s = s + w["load"] / (1 + a["load"])
    top = np.argpartition(-s, 20)[:20]
    return top[np.argsort(-s[top])]


def median_ms(fn, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--contacts", type=int, default=None)
    args = parser.parse_args()
    n = args.contacts or (10_000 if args.quick else 100_000)
    repeat = 15 if args.quick else 40
    django_setup()
    import random

    from ovation.references.models import MatchSettings, ReferenceRequest
    from ovation.references.pool import match
    from ovation.users.models import User

    t0 = time.perf_counter()
    industry, region, products = generate(n, random.Random(7))
    print(f"generated {n:,} contacts in {time.perf_counter() - t0:.1f}s", flush=True)
    from django.utils import timezone

    from ovation.references.models import Opportunity

    MatchSettings.current()
    rep = User.objects.create_user("rep@bench.test", role="sales")
    request = ReferenceRequest.objects.create(
        requester=rep,
        opportunity=Opportunity.objects.create(name="Bench deal", amount=100000),
        industry=industry,
        region=region,
        country="DE",
        employee_band="201-1000",
        seniority="vp",
        use_case="Rolling revenue forecasting instead of spreadsheets for finance",
        activity_type="call",
        submitted_at=timezone.now(),
    )
    request.products.set(products)
    from ovation.references.selectors import request_get

    request = request_get(request_id=request.pk)  # as the pages and the API load it

    t0 = time.perf_counter()
    first = match(request)
    build_ms = (time.perf_counter() - t0) * 1000
    print(
        f"pool build + first match: {build_ms:.0f} ms; eligible {first.eligible:,} of "
        f"{first.pool_size:,}; excluded {first.excluded}",
        flush=True,
    )
    print("top 3:", *(f"  {c.score:5.1f} {c.explanation}" for c in first.candidates[:3]), sep="\n")

    app = median_ms(lambda: match(request), repeat)
    arrays, req, w, now = floor_arrays(request)
    floor_score(arrays, req, w, now)
    floor = median_ms(lambda: floor_score(arrays, req, w, now), repeat * 5)
    ratio = app / floor
    print(f"app matching path median {app:.2f} ms; NumPy floor median {floor:.2f} ms")
    result(
        "reference_match_ms",
        app,
        floor,
        ratio,
        "<=5x_and_<200ms",
        ratio <= 5 and app < 200,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
