"""Infrastructure glue: keep the insights rollups current as domain events commit. Each
receiver only enqueues a task keyed by ids; the tasks are idempotent."""

import logging

logger = logging.getLogger(__name__)

# Events that change an account's advocacy, hub engagement or referral status.
FACT_PREFIXES = ("contact.", "stage.", "hub.", "referral.", "reference.", "program.")
CELL_TYPES = ("nps.answered",)


def _account_id(event) -> int | None:
    data = event.data or {}
    for key in ("account_id", "referee_account_id"):
        if data.get(key):
            return int(data[key])
    contact = getattr(event, "contact", None) if event.contact_id else None
    return contact.account_id if contact is not None else None


def on_event_committed(sender, event, **kwargs):
    from .tasks import account_facts_refresh_task, cells_catch_up_task, referral_cells_refresh_task

    etype = event.type or ""
    if etype.startswith(FACT_PREFIXES) or etype in CELL_TYPES:
        ids = {_account_id(event), (event.data or {}).get("referee_account_id")}
        ids = sorted(int(i) for i in ids if i)
        if ids:
            account_facts_refresh_task.enqueue(account_ids=ids)
    if etype.startswith("referral."):
        referral_cells_refresh_task.enqueue()
    elif etype in CELL_TYPES:
        cells_catch_up_task.enqueue()
