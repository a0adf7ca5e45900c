"""The soft matching score as pure, vectorised functions (no database access).

Every factor is a column of values in [0, 1] (1 = best fit); the score is their weighted mean.
`explain` turns one candidate's factors into the sentence managers read. Text similarity is
BM25 over each contact's past reference topics, notes and stories (`bm25_matrix`)."""

import math
import re
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

FACTORS = (
    "industry",
    "region",
    "size",
    "products",
    "text",
    "seniority",
    "recency",
    "acceptance",
    "rating",
    "load",
)
BANDS = ["1-50", "51-200", "201-1000", "1001-5000", "5001+"]
BAND_LABELS = ["1-50", "51-200", "201-1,000", "1,001-5,000", "5,001+"]
SENIORITIES = ["ic", "manager", "director", "vp", "c_level"]
SENIORITY_LABELS = ["individual contributor", "manager", "director", "VP", "C-level"]
RECENCY_FULL_DAYS = 365.0


@dataclass
class RequestVector:
    """What the prospect looks like, in the columns' codes (-1 / 0 / "" = not given)."""

    industry: int = -1
    region: int = -1
    country: int = -1
    band: int = -1
    products: int = 0  # bitmask
    n_products: int = 0
    seniority: int = -1
    tz: float = float("nan")
    text: np.ndarray | None = None  # normalised BM25 per candidate
    labels: dict = field(default_factory=dict)  # names for explanations


def history_factors(cols: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The factors that depend on the contact's history only (not on the request): computed
    once per pool version. Smoothed: a contact never asked gets the prior (1/2, 3.5 of 5)."""
    return {
        "acceptance": (cols["ref_accepted"] + 1.0) / (cols["ref_asked"] + 2.0),
        "rating": ((cols["rating_sum"] + 7.0) / (cols["rating_n"] + 2.0) - 1.0) / 4.0,
        "load": 1.0 / (1.0 + cols["load"]),
    }


def _distance_fit(values: np.ndarray, target: int) -> np.ndarray:
    """1 - |value - target| / 4 on ordinal codes; missing (-1) scores 0."""
    fit = 1.0 - np.abs(values - np.float32(target)) * np.float32(0.25)
    fit[values < 0] = 0.0
    return fit


def factor_columns(
    cols: dict[str, np.ndarray],
    req: RequestVector,
    now: float,
    history: dict[str, np.ndarray] | None = None,
) -> dict:
    """Compute every factor for the candidates in `cols` (arrays of equal length).

    cols: industry, region, country, band, products, seniority, tz, last_ask (epoch days,
    -inf = never), ref_asked, ref_accepted, rating_sum, rating_n, load. `history` may hold
    `history_factors(cols)` computed in advance."""
    n = cols["industry"].shape[0]
    zeros = np.zeros(n, np.float32)
    f: dict[str, np.ndarray] = {}
    f["industry"] = (
        (cols["industry"] == req.industry).astype(np.float32) if req.industry >= 0 else zeros
    )
    if req.country >= 0 or req.region >= 0:
        if not math.isnan(req.tz):
            region = np.abs(cols["tz"] - np.float32(req.tz))
            region *= np.float32(-1 / 24)
            region += np.float32(0.5)
            np.clip(region, 0.0, 0.5, out=region)  # NaN (no timezone) stays NaN...
            region[np.isnan(region)] = 0.0  # ...and scores 0
        else:
            region = np.zeros(n, np.float32)
        if req.region >= 0:
            region[cols["region"] == req.region] = 0.8
        if req.country >= 0:
            region[cols["country"] == req.country] = 1.0
        f["region"] = region
    else:
        f["region"] = zeros
    f["size"] = _distance_fit(cols["band"], req.band) if req.band >= 0 else zeros
    if req.n_products:
        f["products"] = np.bitwise_count(cols["products"] & np.int64(req.products)).astype(
            np.float32
        ) * np.float32(1 / req.n_products)
    else:
        f["products"] = zeros
    f["text"] = req.text if req.text is not None else zeros
    f["seniority"] = (
        _distance_fit(cols["seniority"], req.seniority) if req.seniority >= 0 else zeros
    )
    f["recency"] = np.minimum((now - cols["last_ask"]) / RECENCY_FULL_DAYS, 1.0)
    f.update(history if history is not None else history_factors(cols))
    return f


def combine(factors: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    """Weighted mean of the factors, in [0, 1]."""
    total_w = sum(max(0.0, weights.get(k, 0.0)) for k in FACTORS) or 1.0
    score = None
    for k in FACTORS:
        w = max(0.0, weights.get(k, 0.0))
        if w:
            score = factors[k] * w if score is None else score + factors[k] * w
    if score is None:
        return np.zeros_like(factors["industry"])
    return score / total_w


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k best scores, best first (ties broken by index for stable output)."""
    if scores.size == 0:
        return np.zeros(0, dtype=np.int64)
    k = min(k, scores.size)
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.lexsort((part, -scores[part]))]


def explain(
    f: dict[str, float],
    c: dict[str, float],
    req: RequestVector,
    weights: dict[str, float],
    now: float,
    matched_terms: list[str] | None = None,
) -> str:
    """A sentence naming the factors that made one candidate's score, strongest first.
    `f`: the candidate's factor values; `c`: its raw columns (band, seniority, tz, last_ask,
    ref_asked, ref_accepted, rating_sum, rating_n, load) as plain numbers."""
    parts: list[tuple[float, str]] = []

    def add(name: str, text: str) -> None:
        parts.append((weights.get(name, 0.0) * f[name], text))

    labels = req.labels
    if req.industry >= 0 and f["industry"] == 1:
        add("industry", f"same industry ({labels.get('industry', '')})".replace(" ()", ""))
    if f["region"] == 1.0:
        add("region", f"same country ({labels.get('country', '')})")
    elif f["region"] >= 0.8:
        add("region", f"same region ({labels.get('region', '')})")
    elif f["region"] > 0.3:
        add("region", f"timezone within {abs(c['tz'] - req.tz):.0f}h")
    if req.n_products:
        hit = int(round(f["products"] * req.n_products))
        if hit:
            add("products", f"{hit} of {req.n_products} products")
    if req.band >= 0 and c["band"] >= 0:
        d = abs(int(c["band"]) - req.band)
        if d == 0:
            add("size", f"same company size ({BAND_LABELS[req.band]})")
        elif d == 1:
            add("size", f"similar company size ({BAND_LABELS[int(c['band'])]})")
    if f["text"] > 0:
        terms = ", ".join(matched_terms[:3]) if matched_terms else "similar topics"
        add("text", f"use case overlaps ({terms})")
    if req.seniority >= 0 and c["seniority"] == req.seniority:
        add("seniority", f"peer seniority ({SENIORITY_LABELS[req.seniority]})")
    last = c["last_ask"]
    if last == -math.inf:
        add("recency", "never asked")
    else:
        add("recency", f"last asked {round(now - last)} days ago")
    asked = int(c["ref_asked"])
    if asked:
        add("acceptance", f"accepted {int(c['ref_accepted'])}/{asked} past requests")
    if c["rating_n"]:
        add("rating", f"sales rating {c['rating_sum'] / c['rating_n']:.1f}/5")
    load = int(c["load"])
    if load:
        parts.append((-1.0, f"{load} open request{'s' if load > 1 else ''}"))
    parts.sort(key=lambda p: -p[0])
    return "; ".join(text for _, text in parts)


def rows_as_dicts(
    arrays: dict[str, np.ndarray], rows: np.ndarray, digits: int | None = None
) -> list[dict[str, float]]:
    """Pick rows out of columns as plain dicts (one vectorised take per column)."""
    taken = {
        k: (np.round(v[rows], digits) if digits is not None else v[rows]).tolist()
        for k, v in arrays.items()
    }
    return [{k: taken[k][n] for k in taken} for n in range(len(rows))]


# --- text ----------------------------------------------------------------------------------

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "that",
        "the",
        "their",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "will",
        "with",
        "who",
        "how",
        "what",
        "when",
        "which",
        "want",
        "wants",
        "need",
        "needs",
    ]
)
_TOKEN = re.compile(r"[a-z0-9]+")


def tokens(text: str) -> list[str]:
    out = []
    for tok in _TOKEN.findall((text or "").lower()):
        if tok in STOPWORDS or len(tok) < 3:
            continue
        for suffix in ("ing", "ies", "es", "ed", "s"):
            if tok.endswith(suffix) and len(tok) - len(suffix) >= 4:
                tok = tok[: -len(suffix)] + ("y" if suffix == "ies" else "")
                break
        out.append(tok)
    return out


def bm25_matrix(
    docs: dict[int, str], n_rows: int, k1: float = 1.2, b: float = 0.75
) -> tuple[sparse.csc_matrix, dict[str, int]]:
    """BM25 term weights per (row, term) for the documents given by row index; the score of a
    query is the sum of its terms' columns."""
    vocab: dict[str, int] = {}
    rows, cols_, tf = [], [], []
    lengths = np.zeros(n_rows)
    for row, text in docs.items():
        toks = tokens(text)
        lengths[row] = len(toks)
        counts: dict[int, int] = {}
        for tok in toks:
            term = vocab.setdefault(tok, len(vocab))
            counts[term] = counts.get(term, 0) + 1
        for term, c in counts.items():
            rows.append(row)
            cols_.append(term)
            tf.append(c)
    if not vocab:
        return sparse.csc_matrix((n_rows, 0)), vocab
    rows_a, cols_a, tf_a = np.array(rows), np.array(cols_), np.array(tf, dtype=float)
    n_docs = max(1, len(docs))
    df = np.bincount(cols_a, minlength=len(vocab))
    idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5))
    avgdl = lengths[lengths > 0].mean() if (lengths > 0).any() else 1.0
    norm = k1 * (1 - b + b * lengths[rows_a] / avgdl)
    weights = idf[cols_a] * tf_a * (k1 + 1) / (tf_a + norm)
    matrix = sparse.coo_matrix((weights, (rows_a, cols_a)), shape=(n_rows, len(vocab)))
    return matrix.tocsc(), vocab


def bm25_query(matrix, vocab: dict[str, int], text: str) -> tuple[np.ndarray, list[int]]:
    """Normalised (0..1) BM25 scores of every row for `text`, and the query's term ids."""
    rows, scores, ids = bm25_sparse(matrix, vocab, text)
    out = np.zeros(matrix.shape[0])
    out[rows] = scores
    return out, ids


def bm25_sparse(matrix, vocab: dict[str, int], text: str):
    """(rows with a match, their normalised scores, term ids): reads only the query's columns
    of the CSC matrix, so the cost follows the matches, not the pool size."""
    ids = sorted({vocab[t] for t in tokens(text) if t in vocab})
    if not ids:
        return np.zeros(0, np.int64), np.zeros(0), []
    indptr, indices, data = matrix.indptr, matrix.indices, matrix.data
    rows = np.concatenate([indices[indptr[t] : indptr[t + 1]] for t in ids])
    weights = np.concatenate([data[indptr[t] : indptr[t + 1]] for t in ids])
    uniq, inverse = np.unique(rows, return_inverse=True)
    scores = np.bincount(inverse, weights=weights, minlength=uniq.size)
    top = scores.max() if scores.size else 0.0
    return uniq, (scores / top if top > 0 else scores), ids
