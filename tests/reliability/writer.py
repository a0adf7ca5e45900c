"""A self-contained write load against a real database, used by the fault tests:

    python tests/reliability/writer.py --seconds 20 --threads 4 [--prepare]

Runs in its own process with the environment's DJANGO_SETTINGS_MODULE / OVATION_VAR_DIR /
DATABASE_URL (never the test database). `--prepare` creates an admin, a write token and 50
contacts first. Each thread drives the WSGI app through Django's test client (a real request
stack, one database connection per thread): POST /api/v1/activities, POST /api/v1/ledger/entries
(with an Idempotency-Key) and GET /healthz. Prints one JSON line: counts per status, the
errors seen (exception text), and per-second success counts so a test can check recovery."""

import argparse
import json
import os
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def setup() -> None:
    sys.path[:0] = [str(ROOT), str(ROOT / "src")]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()


def prepare() -> dict:
    from ovation.directory.models import Account, Contact
    from ovation.users.models import User
    from ovation.users.services import api_token_create

    admin, _ = User.objects.get_or_create(email="writer@acme.test", defaults={"role": "admin"})
    _, raw = api_token_create(user=admin, scope="write")
    account, _ = Account.objects.get_or_create(name="Writer Load Ltd")
    ids = []
    for i in range(50):
        contact, _ = Contact.objects.get_or_create(
            email=f"load{i}@writer.test",
            defaults={"account": account, "first_name": f"Load{i}", "last_name": "Writer"},
        )
        ids.append(contact.pk)
    return {"token": raw, "contact_ids": ids}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--prepare", action="store_true")
    parser.add_argument("--state", default="")
    args = parser.parse_args(argv)
    setup()
    from django.core.signals import got_request_exception
    from django.db import close_old_connections
    from django.test import Client

    state = prepare() if args.prepare else json.loads(Path(args.state).read_text())
    if args.state and args.prepare:
        Path(args.state).write_text(json.dumps(state))
    statuses: Counter = Counter()
    errors: Counter = Counter()
    per_second: Counter = Counter()
    credited = Counter()
    lock = threading.Lock()
    start = time.monotonic()

    def on_exception(sender, request=None, **kwargs):
        exc = sys.exc_info()[1]
        with lock:
            errors[f"{type(exc).__name__}: {str(exc)[:120]}"] += 1

    got_request_exception.connect(on_exception)

    def worker(n: int) -> None:
        client = Client(raise_request_exception=False)
        auth = {"HTTP_AUTHORIZATION": f"Bearer {state['token']}"}
        ids = state["contact_ids"]
        i = 0
        while time.monotonic() - start < args.seconds:
            i += 1
            contact_id = ids[(n * 7 + i) % len(ids)]
            try:
                if i % 3 == 0:
                    response = client.get("/healthz")
                elif i % 3 == 1:
                    body = {"contact_id": contact_id, "kind": "note", "data": {"n": i}}
                    response = client.post(
                        "/api/v1/activities", json.dumps(body), "application/json", **auth
                    )
                else:
                    body = {"contact_id": contact_id, "amount": 1, "kind": "credit"}
                    response = client.post(
                        "/api/v1/ledger/entries",
                        json.dumps(body),
                        "application/json",
                        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
                        **auth,
                    )
                status = response.status_code
            except Exception as exc:  # noqa: BLE001 - the load tool reports, never dies
                status = 599
                with lock:
                    errors[f"client {type(exc).__name__}: {str(exc)[:120]}"] += 1
            second = int(time.monotonic() - start)
            with lock:
                statuses[status] += 1
                if status < 400:
                    per_second[second] += 1
                if status in (200, 201) and i % 3 == 2:
                    credited[contact_id] += 1
            close_old_connections()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(args.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(
        json.dumps(
            {
                "statuses": {str(k): v for k, v in sorted(statuses.items())},
                "errors": dict(errors),
                "per_second": {str(k): v for k, v in sorted(per_second.items())},
                "credited": sum(credited.values()),
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
