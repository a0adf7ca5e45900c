"""Story search: one interface over SQLite FTS5 (bm25) and PostgreSQL full text (ts_rank).

Only stories sales may use are ever returned: approved by the customer and with at least one usage
right that has not expired (for the requested channel, when one is given)."""

import re
from dataclasses import dataclass
from datetime import date

from django.db import connection
from django.utils import timezone

STOPWORDS = {
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
    "in",
    "is",
    "it",
    "of",
    "on",
    "or",
    "the",
    "to",
    "with",
    "about",
    "who",
    "what",
    "how",
    "that",
    "this",
    "our",
    "we",
    "their",
}
WORD = re.compile(r"[\w][\w'-]*", re.UNICODE)


@dataclass(frozen=True)
class StoryFilters:
    industry_id: int | None = None
    product_id: int | None = None
    persona: str = ""
    kind: str = ""
    channel: str = ""


def query_terms(q: str) -> list[str]:
    """Words of the query without stopwords (an all-stopword query keeps its words)."""
    words = [w.lower().strip("'-") for w in WORD.findall(q or "")]
    words = [w for w in words if w]
    kept = [w for w in words if w not in STOPWORDS]
    return kept or words


def _visibility_sql(filters: StoryFilters, today: date) -> tuple[str, list]:
    sql = [
        "s.status = 'approved'",
        "EXISTS (SELECT 1 FROM stories_usageright r WHERE r.story_id = s.id"
        " AND (r.expires_on IS NULL OR r.expires_on >= %s)"
        + (" AND r.channel = %s" if filters.channel else "")
        + ")",
    ]
    params: list = [today] + ([filters.channel] if filters.channel else [])
    if filters.industry_id:
        sql.append("s.industry_id = %s")
        params.append(filters.industry_id)
    if filters.persona:
        sql.append("s.persona = %s")
        params.append(filters.persona)
    if filters.kind:
        sql.append("s.kind = %s")
        params.append(filters.kind)
    if filters.product_id:
        sql.append(
            "EXISTS (SELECT 1 FROM stories_story_products p WHERE p.story_id = s.id AND p.product_id = %s)"
        )
        params.append(filters.product_id)
    return " AND ".join(sql), params


def story_search_ids(
    q: str, filters: StoryFilters = StoryFilters(), *, limit: int = 50
) -> list[int]:  # noqa: B008
    """Ids of visible stories, best match first. All words must match (a word also matches as a
    prefix: "autom" finds "automation"); when nothing matches all words, any word will do. An empty
    query lists the newest visible stories."""
    today = timezone.localdate()
    where, params = _visibility_sql(filters, today)
    terms = query_terms(q)
    with connection.cursor() as cursor:
        if not terms:
            cursor.execute(
                f"SELECT s.id FROM stories_story s WHERE {where} ORDER BY s.updated_at DESC, s.id DESC LIMIT %s",
                [*params, limit],
            )
            return [row[0] for row in cursor.fetchall()]
        if connection.vendor == "sqlite":
            return _sqlite(cursor, terms, where, params, limit)
        return _postgres(cursor, terms, where, params, limit)


def _sqlite(cursor, terms, where, params, limit) -> list[int]:
    # Rank inside FTS5 first (its `rank` uses the bm25 weights set by the migration), over a window
    # of the best matches, then apply visibility; widen to all matches only when the window was
    # too small. Only the last word is a prefix (the word being typed).
    def run(joiner: str, window: int | None) -> list[int]:
        quoted = ['"' + t.replace('"', "") + '"' for t in terms]
        quoted[-1] += "*"
        match = f" {joiner} ".join(quoted)
        inner = "SELECT rowid, rank FROM stories_story_fts WHERE stories_story_fts MATCH %s ORDER BY rank"
        inner_params: list = [match]
        if window:
            inner += " LIMIT %s"
            inner_params.append(window)
        cursor.execute(
            f"SELECT s.id FROM ({inner}) f JOIN stories_story s ON s.id = f.rowid "
            f"WHERE {where} ORDER BY f.rank LIMIT %s",
            [*inner_params, *params, limit],
        )
        return [row[0] for row in cursor.fetchall()]

    def ranked(joiner: str) -> list[int]:
        window = max(limit * 20, 500)
        found = run(joiner, window)
        return found if len(found) >= limit else run(joiner, None)

    found = ranked("AND")
    if not found and len(terms) > 1:
        found = ranked("OR")
    return found


def _postgres(cursor, terms, where, params, limit) -> list[int]:
    def run(joiner: str) -> list[int]:
        tsquery = f" {joiner} ".join(
            re.sub(r"[^\w]", "", t) + ":*" for t in terms if re.sub(r"[^\w]", "", t)
        )
        if not tsquery:
            return []
        cursor.execute(
            "SELECT s.id FROM stories_story s, to_tsquery('english', %s) query "
            f"WHERE s.search_vector @@ query AND {where} "
            "ORDER BY ts_rank(s.search_vector, query) DESC, s.id DESC LIMIT %s",
            [tsquery, *params, limit],
        )
        return [row[0] for row in cursor.fetchall()]

    found = run("&")
    if not found and len(terms) > 1:
        found = run("|")
    return found
