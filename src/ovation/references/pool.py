"""The matching pool: denormalised NumPy columns of every contact, built with one query per
table and cached in process memory, plus `match()` -- hard filters, fatigue and the soft score
over all contacts at once.

Two caches, each keyed by a version token in Django's cache: the directory columns (contacts,
accounts, consents, quiet dates, text) and the ask columns (asks, assignments). Writes in this
app and directory saves (signals in apps.py) replace the token; bulk writes that skip signals
are picked up after `MAX_AGE` seconds."""

import threading
import time
import uuid
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.db.models import Q
from django.utils import timezone

from ovation.activity.models import Activity
from ovation.directory.models import Account, Contact
from ovation.directory.selectors import consent_granted_contact_ids

from . import scoring
from .budget import (
    ASKS_VERSION_KEY,
    DIRECTORY_VERSION_KEY,
    bump_version,
    epoch_days,
    followup_open_contact_ids,
    local_version,
    policy_snapshot,
)
from .fatigue import AskColumns, evaluate, type_codes
from .models import Ask, Assignment, DoNotContact, MatchSettings, ReferenceRequest

MAX_AGE = 300.0
_lock = threading.Lock()
_cache: dict = {}
_TZ: dict[str, float] = {}


SHARED_CHECK_SECONDS = 1.0
_shared: dict = {}


def _versions() -> tuple[str, str]:
    """The directory and asks version tokens: this process's own writes count at once;
    other processes' (through the shared cache) are looked up at most once a second."""
    keys = (DIRECTORY_VERSION_KEY, ASKS_VERSION_KEY)
    db = connection.settings_dict.get("NAME")
    seen = _shared.get(db)
    if seen is None or time.monotonic() - seen[0] > SHARED_CHECK_SECONDS:
        try:
            found = cache.get_many(keys)
            for key in keys:
                if key not in found:
                    cache.add(key, uuid.uuid4().hex, None)
                    found[key] = cache.get(key) or "missing"
        except DatabaseError:
            found = dict.fromkeys(keys, "no-cache")
        seen = (time.monotonic(), found)
        _shared[db] = seen
    found = seen[1]
    return tuple(f"{found[k]}:{local_version(k)}" for k in keys)


def forget() -> None:
    """Drop this process's cached columns and version tokens (tests clear the shared cache
    between tests; a token read before the clear must not outlive it)."""
    with _lock:
        _cache.clear()
        _shared.clear()


def invalidate() -> None:
    bump_version(DIRECTORY_VERSION_KEY)
    bump_version(ASKS_VERSION_KEY)


def tz_offset(name: str) -> float:
    if not name:
        return float("nan")
    if name not in _TZ:
        try:
            off = datetime(2025, 1, 15, 12, tzinfo=zoneinfo.ZoneInfo(name)).utcoffset()
            _TZ[name] = off.total_seconds() / 3600.0 if off is not None else float("nan")
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            _TZ[name] = float("nan")
    return _TZ[name]


@dataclass
class DirectoryColumns:
    """Per contact (sorted by id): codes for everything matching reads from the directory."""

    contact_ids: np.ndarray
    account_ids: np.ndarray  # sorted unique account ids
    account_idx: np.ndarray
    contact_active: np.ndarray
    account_active: np.ndarray
    industry: np.ndarray
    region: np.ndarray
    country: np.ndarray
    band: np.ndarray
    products: np.ndarray
    seniority: np.ndarray
    tz: np.ndarray
    stage: np.ndarray
    consent: dict[str, np.ndarray]
    renewal: np.ndarray  # date ordinal, -1 = none
    dnc_until: np.ndarray  # date ordinal, -1 = none
    followup: np.ndarray  # open detractor follow-up (refreshed with the pool, <= MAX_AGE)
    countries: dict[str, int]
    product_bits: dict[int, int]
    text: object
    vocab: dict[str, int]
    terms: list[str] = field(default_factory=list)
    tz_by_segment: dict = field(default_factory=dict)

    def index(self, contact_ids) -> np.ndarray:
        ids = np.asarray(contact_ids, dtype=np.int64)
        pos = np.searchsorted(self.contact_ids, ids)
        pos = np.clip(pos, 0, max(0, self.contact_ids.size - 1))
        ok = self.contact_ids.size > 0
        return np.where(ok & (self.contact_ids[pos] == ids), pos, -1) if ok else pos * 0 - 1


@dataclass
class AskState:
    """Per contact: ask history figures; plus the raw ask columns for the fatigue rules."""

    asks: AskColumns
    last_ask: np.ndarray
    ref_asked: np.ndarray
    ref_accepted: np.ndarray
    rating_sum: np.ndarray
    rating_n: np.ndarray
    load: np.ndarray
    channel: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    config: tuple = ()  # (weights, fatigue rules, overall policy row), same version as the asks
    prepared: dict = field(default_factory=dict)


def _cached(name: str, version: str, build):
    key = (connection.settings_dict.get("NAME"), name)
    entry = _cache.get(key)
    now = time.monotonic()
    if entry and entry[0] == version and now - entry[1] < MAX_AGE:
        return entry[2]
    with _lock:
        entry = _cache.get(key)
        if entry and entry[0] == version and now - entry[1] < MAX_AGE:
            return entry[2]
        value = build()
        _cache[key] = (version, time.monotonic(), value)
        return value


def ask_state() -> tuple["DirectoryColumns", "AskState"]:
    """The cached columns, rebuilt when a version token changed or after MAX_AGE seconds."""
    directory_version, asks_version = _versions()
    cols = _cached("directory", directory_version, _build_directory)
    version = f"{directory_version}:{asks_version}"
    return cols, _cached("asks", version, lambda: _build_asks(cols))


def _build_directory() -> DirectoryColumns:
    rows = list(
        Contact.objects.order_by("id").values_list(
            "id", "account_id", "is_active", "seniority", "timezone", "stage"
        )
    )
    n = len(rows)
    contact_ids = np.fromiter((r[0] for r in rows), np.int64, n)
    acc_rows = list(
        Account.objects.order_by("id").values_list(
            "id", "status", "industry_id", "region_id", "country", "employee_band", "renewal_date"
        )
    )
    account_ids = np.fromiter((r[0] for r in acc_rows), np.int64, len(acc_rows))
    countries: dict[str, int] = {}
    acc_active = np.array([r[1] == Account.Status.ACTIVE for r in acc_rows], bool)
    acc_industry = np.array([r[2] if r[2] is not None else -1 for r in acc_rows], np.int64)
    acc_region = np.array([r[3] if r[3] is not None else -1 for r in acc_rows], np.int64)
    acc_country = np.array(
        [countries.setdefault(r[4], len(countries)) if r[4] else -1 for r in acc_rows], np.int64
    )
    band_of = {b: i for i, b in enumerate(scoring.BANDS)}
    acc_band = np.array([band_of.get(r[5], -1) for r in acc_rows], np.int8)
    acc_renewal = np.array([r[6].toordinal() if r[6] else -1 for r in acc_rows], np.int64)
    product_bits: dict[int, int] = {}
    acc_products = np.zeros(len(acc_rows), np.int64)
    links = Account.products.through.objects.values_list("account_id", "product_id")
    for account_id, product_id in links:
        bit = product_bits.setdefault(product_id, len(product_bits))
        if bit < 63:
            pos = np.searchsorted(account_ids, account_id)
            if pos < account_ids.size and account_ids[pos] == account_id:
                acc_products[pos] |= np.int64(1) << np.int64(bit)

    raw_acc = np.array([r[1] if r[1] is not None else -1 for r in rows], np.int64)
    if account_ids.size:
        pos = np.clip(np.searchsorted(account_ids, raw_acc), 0, account_ids.size - 1)
        account_idx = np.where((raw_acc >= 0) & (account_ids[pos] == raw_acc), pos, -1)
    else:
        account_idx = np.full(n, -1, np.int64)
    has = account_idx >= 0
    safe = np.where(has, account_idx, 0)

    def per_contact(values, missing):
        if not account_ids.size:
            return np.full(n, missing, dtype=values.dtype)
        return np.where(has, values[safe], missing)

    seniority_of = {s: i for i, s in enumerate(scoring.SENIORITIES)}
    stage_of = {s: i for i, s in enumerate(Contact.Stage.values)}
    cols = DirectoryColumns(
        contact_ids=contact_ids,
        account_ids=account_ids,
        account_idx=account_idx.astype(np.int64),
        contact_active=np.array([r[2] for r in rows], bool),
        account_active=per_contact(acc_active, False),
        industry=per_contact(acc_industry, -1),
        region=per_contact(acc_region, -1),
        country=per_contact(acc_country, -1),
        band=per_contact(acc_band, -1),
        products=per_contact(acc_products, 0),
        seniority=np.array([seniority_of.get(r[3], -1) for r in rows], np.int8),
        tz=np.array([tz_offset(r[4]) for r in rows], np.float64),
        stage=np.array([stage_of.get(r[5], 0) for r in rows], np.int8),
        consent={},
        renewal=per_contact(acc_renewal, -1),
        dnc_until=np.full(n, -1, np.int64),
        followup=np.zeros(n, bool),
        countries=countries,
        product_bits=product_bits,
        text=None,
        vocab={},
    )
    for purpose in ("reference_calls", "case_study"):
        ids = list(
            consent_granted_contact_ids(purpose=purpose).values_list("contact_id", flat=True)
        )
        mask = np.zeros(n, bool)
        idx = cols.index(ids)
        mask[idx[idx >= 0]] = True
        cols.consent[purpose] = mask
    for contact_id, until in DoNotContact.objects.values_list("contact_id", "until"):
        i = int(cols.index([contact_id])[0])
        if i >= 0:
            cols.dnc_until[i] = max(cols.dnc_until[i], until.toordinal())
    followups = followup_open_contact_ids()
    if followups:
        idx = cols.index(sorted(followups))
        cols.followup[idx[idx >= 0]] = True
    cols.text, cols.vocab = scoring.bm25_matrix(_documents(cols), n)
    cols.terms = sorted(cols.vocab, key=cols.vocab.__getitem__)
    return cols


def _documents(cols: DirectoryColumns) -> dict[int, str]:
    """Text per contact: past reference topics, ask notes, staff notes, stories."""
    docs: dict[int, list[str]] = {}

    def add(contact_id, text):
        if text:
            i = int(cols.index([contact_id])[0])
            if i >= 0:
                docs.setdefault(i, []).append(text)

    for contact_id, use_case, competitor in Assignment.objects.filter(
        status__in=["accepted", "scheduled", "completed"]
    ).values_list("contact_id", "request__use_case", "request__competitor"):
        add(contact_id, f"{use_case} {competitor}")
    for contact_id, note in Ask.objects.exclude(note="").values_list("contact_id", "note"):
        add(contact_id, note)
    for contact_id, data in Activity.objects.filter(kind="note", contact__isnull=False).values_list(
        "contact_id", "data"
    ):
        if isinstance(data, dict):
            add(contact_id, str(data.get("text") or data.get("note") or ""))
    try:  # stories, when the Stories module provides text per contact
        from ovation.stories import selectors as story_selectors

        getter = getattr(story_selectors, "story_text_by_contact", None)
        if getter:
            for contact_id, text in getter():
                add(contact_id, text)
    except ImportError:
        pass
    return {i: " ".join(parts) for i, parts in docs.items()}


def _build_asks(cols: DirectoryColumns) -> AskState:
    n = cols.contact_ids.size
    rows = list(
        Ask.objects.values_list(
            "contact_id", "account_id", "asked_at", "activity_type", "status", "channel"
        )
    )
    m = len(rows)
    contact_idx = cols.index([r[0] for r in rows]) if m else np.zeros(0, np.int64)
    acc_raw = np.array([r[1] if r[1] is not None else -1 for r in rows], np.int64)
    if cols.account_ids.size and m:
        pos = np.clip(np.searchsorted(cols.account_ids, acc_raw), 0, cols.account_ids.size - 1)
        account_idx = np.where((acc_raw >= 0) & (cols.account_ids[pos] == acc_raw), pos, -1)
    else:
        account_idx = np.full(m, -1, np.int64)
    ts = np.fromiter((r[2].timestamp() / 86400.0 for r in rows), np.float64, m)
    status = np.array([r[4] for r in rows], dtype=object)
    channel = np.array([r[5] for r in rows], dtype=object)
    asks = AskColumns(
        contact_idx=contact_idx.astype(np.int64),
        account_idx=account_idx.astype(np.int64),
        ts=ts,
        activity_type=type_codes(r[3] for r in rows),
        declined=status == Ask.Status.DECLINED if m else np.zeros(0, bool),
    )
    ok = asks.contact_idx >= 0
    last = np.full(n, -np.inf)
    np.maximum.at(last, asks.contact_idx[ok], ts[ok])
    ref = ok & (channel == Ask.Channel.REFERENCE) if m else ok
    answered = ref & (status != Ask.Status.ASKED)
    ref_asked = np.bincount(asks.contact_idx[answered], minlength=n).astype(float)[:n]
    accepted = ref & np.isin(status, [Ask.Status.ACCEPTED, Ask.Status.COMPLETED]) if m else ref
    ref_accepted = np.bincount(asks.contact_idx[accepted], minlength=n).astype(float)[:n]
    rating_sum = np.zeros(n)
    rating_n = np.zeros(n)
    load = np.zeros(n)
    for contact_id, status_, rating in Assignment.objects.filter(
        Q(rating__isnull=False) | Q(status__in=Assignment.OPEN_STATUSES)
    ).values_list("contact_id", "status", "rating"):
        i = int(cols.index([contact_id])[0])
        if i < 0:
            continue
        if rating:
            rating_sum[i] += rating
            rating_n[i] += 1
        if status_ in Assignment.OPEN_STATUSES:
            load[i] += 1
    rules, overall = policy_snapshot()
    config = (MatchSettings.current().weights(), rules, overall)
    return AskState(
        asks, last, ref_asked, ref_accepted, rating_sum, rating_n, load, channel, config
    )


# --- matching -----------------------------------------------------------------------------


@dataclass
class AccountSummary:
    pk: int | None
    name: str


class ContactSummary:
    """What a match list shows of a contact (read in one narrow query)."""

    __slots__ = ("pk", "id", "first_name", "last_name", "email", "title", "account")

    def __init__(self, pk, first_name, last_name, email, title, account_id, account_name):
        self.pk = self.id = pk
        self.first_name, self.last_name, self.email, self.title = (
            first_name,
            last_name,
            email,
            title,
        )
        self.account = AccountSummary(account_id, account_name or "")

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email


@dataclass
class Candidate:
    contact_id: int
    score: float  # 0..100
    explanation: str
    factors: dict[str, float]
    rule: str | None = None
    reason: str = ""
    contact: ContactSummary | None = None


@dataclass
class MatchResult:
    candidates: list[Candidate]
    near_misses: list[Candidate]
    excluded: dict[str, int]  # rule -> number of contacts it excluded
    pool_size: int
    eligible: int


def request_vector(
    request: ReferenceRequest, cols: DirectoryColumns, product_ids: list[int]
) -> scoring.RequestVector:
    mask = 0
    for pid in product_ids:
        bit = cols.product_bits.get(pid)
        if bit is not None and bit < 63:
            mask |= 1 << bit
    band = scoring.BANDS.index(request.employee_band) if request.employee_band else -1
    sen = scoring.SENIORITIES.index(request.seniority) if request.seniority else -1
    country = cols.countries.get(request.country, -2) if request.country else -1
    req = scoring.RequestVector(
        industry=request.industry_id or -1,
        region=request.region_id or -1,
        country=country,
        band=band,
        products=mask,
        n_products=len(product_ids),
        seniority=sen,
    )
    # The prospect's timezone: the typical offset of customers in its country, else region.
    if country >= 0 or req.region >= 0:
        key = ("country", country) if country >= 0 else ("region", req.region)
        if key not in cols.tz_by_segment:
            sel = cols.country == country if country >= 0 else cols.region == req.region
            tzs = cols.tz[sel]
            tzs = tzs[~np.isnan(tzs)]
            cols.tz_by_segment[key] = float(np.median(tzs)) if tzs.size else float("nan")
        req.tz = cols.tz_by_segment[key]
    return req


def hard_filters(
    cols: DirectoryColumns, activity_type: str, today_ord: int, renewal_days: int
) -> list[tuple[str, np.ndarray]]:
    """(rule, passes) in the order why-not-suggested reports them."""
    from .budget import consent_purpose

    purpose = consent_purpose(activity_type)
    filters = [
        ("contact.inactive", cols.contact_active),
        ("account.not_active", cols.account_active),
        (f"consent.{purpose}", cols.consent[purpose]),
    ]
    if renewal_days:
        days = cols.renewal - today_ord
        filters.append(
            ("quiet.renewal", ~((cols.renewal >= 0) & (days >= 0) & (days <= renewal_days)))
        )
    filters.append(("quiet.do_not_contact", cols.dnc_until < today_ord))
    filters.append(("quiet.detractor_followup", ~cols.followup))
    return filters


def match(
    request: ReferenceRequest,
    *,
    limit: int = 20,
    near_miss_limit: int = 10,
    at: datetime | None = None,
    with_contacts: bool = True,
) -> MatchResult:
    """Rank every contact for `request`: hard filters, fatigue, then the weighted soft score."""
    now_dt = at or timezone.now()
    now = epoch_days(now_dt)
    today_ord = timezone.localdate(now_dt).toordinal()
    cols, state = ask_state()
    weights, rules, policy = state.config
    product_ids = [p.pk for p in request.products.all()]
    req = request_vector(request, cols, product_ids)
    n = cols.contact_ids.size

    renewal_days = policy.renewal_quiet_days if policy.is_active else 0
    key = (request.activity_type, today_ord, renewal_days)
    prep = state.prepared.get(key) if at is None else None
    if prep is None:
        # The filters and the fatigue rules depend on the pool and the day, not the request:
        # computed once per pool version (<= MAX_AGE old), exact again at pick time.
        prep = _prepare(cols, state, rules, request.activity_type, now, today_ord, renewal_days)
        if at is None:
            state.prepared[key] = prep
    scored, n_el, sub, fat = prep.scored, prep.n_eligible, prep.block, prep.fatigue
    excluded = dict(prep.excluded)

    rows, text_scores, term_ids = scoring.bm25_sparse(
        cols.text, cols.vocab, f"{request.use_case} {request.competitor}"
    )
    if term_ids:
        pos = prep.position[rows]
        req.text = np.zeros(scored.size)
        req.text[pos[pos >= 0]] = text_scores[pos >= 0]
    else:
        req.text = None
    req.labels = _labels(request)
    factors = scoring.factor_columns(sub, req, now, prep.history)
    total = scoring.combine(factors, weights)
    taken = [a.contact_id for a in request.assignments.all()]
    n_taken = 0
    if taken:
        # Already on this request: out of the ranking.
        hit = np.isin(cols.contact_ids[scored], np.asarray(taken, dtype=np.int64))
        n_taken = int(hit[:n_el].sum())
        total = np.where(hit, -np.inf, total)
    best = scoring.top_k(total[:n_el], limit)
    best = best[np.isfinite(total[best])]
    best_near = scoring.top_k(total[n_el:], near_miss_limit) + n_el
    best_near = best_near[np.isfinite(total[best_near])]

    chosen = [*best.tolist(), *best_near.tolist()]
    matched_by_row: dict[int, list[tuple[float, str]]] = {}
    if term_ids and chosen:
        wanted = scored[np.array(chosen, dtype=np.int64)]
        indptr, indices, data = cols.text.indptr, cols.text.indices, cols.text.data
        for t in term_ids:
            col_rows = indices[indptr[t] : indptr[t + 1]]
            hit = np.isin(col_rows, wanted)
            for row, weight in zip(
                col_rows[hit].tolist(), data[indptr[t] : indptr[t + 1]][hit].tolist(), strict=True
            ):
                matched_by_row.setdefault(row, []).append((weight, cols.terms[t]))
    out: list[Candidate] = []
    misses: list[Candidate] = []
    chosen_arr = np.array(chosen, dtype=np.int64)
    f_rows = scoring.rows_as_dicts(factors, chosen_arr, 3)
    c_rows = scoring.rows_as_dicts(sub, chosen_arr)
    totals = total[chosen_arr].tolist() if chosen else []
    for pos, j in enumerate(chosen):
        i = int(scored[j])
        matched = [term for _, term in sorted(matched_by_row.get(i, ()), reverse=True)]
        cand = Candidate(
            contact_id=int(cols.contact_ids[i]),
            score=round(totals[pos] * 100, 1),
            explanation=scoring.explain(f_rows[pos], c_rows[pos], req, weights, now, matched),
            factors=f_rows[pos],
        )
        if j >= n_el:
            cand.rule, cand.reason = fat.rule(i), fat.reason(i)
            misses.append(cand)
        else:
            out.append(cand)
    if with_contacts and (out or misses):
        rows = Contact.objects.filter(pk__in=[c.contact_id for c in [*out, *misses]]).values_list(
            "id", "first_name", "last_name", "email", "title", "account_id", "account__name"
        )
        by_id = {r[0]: ContactSummary(*r) for r in rows}
        for cand in [*out, *misses]:
            cand.contact = by_id.get(cand.contact_id)
    return MatchResult(out, misses, excluded, n, int(n_el) - n_taken)


@dataclass
class Prepared:
    """Per activity type and day: who passes the hard filters, who only fatigue blocks
    (`scored[:n_eligible]` eligible, the rest near misses), and their columns."""

    scored: np.ndarray
    position: np.ndarray  # contact index -> position in `scored`, or -1
    n_eligible: int
    block: dict[str, np.ndarray]
    history: dict[str, np.ndarray]
    fatigue: object
    excluded: dict[str, int]


def _prepare(cols, state, rules, activity_type, now, today_ord, renewal_days) -> Prepared:
    n = cols.contact_ids.size
    excluded: dict[str, int] = {}
    passes = np.ones(n, bool)
    for rule, ok in hard_filters(cols, activity_type, today_ord, renewal_days):
        newly = passes & ~ok
        if newly.any():
            excluded[rule] = int(newly.sum())
        passes &= ok
    fat = evaluate(
        rules,
        activity_type=activity_type,
        now=now,
        asks=state.asks,
        n_contacts=n,
        contact_account_idx=cols.account_idx,
        n_accounts=cols.account_ids.size,
    )
    fatigued = fat.blocked_by >= 0
    for k, (rule, _) in enumerate(fat.rules):
        hit = passes & (fat.blocked_by == k)
        if hit.any():
            excluded[rule] = int(hit.sum())
    eligible = np.flatnonzero(passes & ~fatigued)
    near = np.flatnonzero(passes & fatigued)
    scored = np.concatenate([eligible, near])
    block = {
        "industry": cols.industry[scored],
        "region": cols.region[scored],
        "country": cols.country[scored],
        "band": cols.band[scored].astype(np.float32),
        "products": cols.products[scored],
        "seniority": cols.seniority[scored].astype(np.float32),
        "tz": cols.tz[scored].astype(np.float32),
        "last_ask": state.last_ask[scored],
        "ref_asked": state.ref_asked[scored],
        "ref_accepted": state.ref_accepted[scored],
        "rating_sum": state.rating_sum[scored],
        "rating_n": state.rating_n[scored],
        "load": state.load[scored],
    }
    position = np.full(n, -1, np.int64)
    position[scored] = np.arange(scored.size)
    history = scoring.history_factors(block)
    return Prepared(scored, position, int(eligible.size), block, history, fat, excluded)


def _labels(request: ReferenceRequest) -> dict:
    return {
        "industry": request.industry.name if request.industry_id else "",
        "region": request.region.name if request.region_id else "",
        "country": request.country,
    }
