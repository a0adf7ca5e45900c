"""Full-text search behind one interface (stories/search.py): an FTS5 table kept in sync by
triggers on SQLite; a generated, weighted tsvector column with a GIN index on PostgreSQL."""

from django.db import migrations

FTS_COLUMNS = "title, body, result, hero_title, tags, facets_text"
NEW = ", ".join(f"new.{c.strip()}" for c in FTS_COLUMNS.split(","))
OLD = ", ".join(f"old.{c.strip()}" for c in FTS_COLUMNS.split(","))

SQLITE_UP = [
    f"CREATE VIRTUAL TABLE stories_story_fts USING fts5({FTS_COLUMNS}, content='stories_story', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    f"CREATE TRIGGER stories_story_fts_ai AFTER INSERT ON stories_story BEGIN "
    f"INSERT INTO stories_story_fts(rowid, {FTS_COLUMNS}) VALUES (new.id, {NEW}); END",
    f"CREATE TRIGGER stories_story_fts_ad AFTER DELETE ON stories_story BEGIN "
    f"INSERT INTO stories_story_fts(stories_story_fts, rowid, {FTS_COLUMNS}) VALUES ('delete', old.id, {OLD}); END",
    f"CREATE TRIGGER stories_story_fts_au AFTER UPDATE ON stories_story BEGIN "
    f"INSERT INTO stories_story_fts(stories_story_fts, rowid, {FTS_COLUMNS}) VALUES ('delete', old.id, {OLD}); "
    f"INSERT INTO stories_story_fts(rowid, {FTS_COLUMNS}) VALUES (new.id, {NEW}); END",
    "INSERT INTO stories_story_fts(stories_story_fts) VALUES ('rebuild')",
    # Column weights for `rank`: title, body, result, hero title, tags, facets.
    "INSERT INTO stories_story_fts(stories_story_fts, rank) VALUES ('rank', 'bm25(4.0, 1.0, 2.0, 2.0, 2.0, 2.0)')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS stories_story_fts_ai",
    "DROP TRIGGER IF EXISTS stories_story_fts_ad",
    "DROP TRIGGER IF EXISTS stories_story_fts_au",
    "DROP TABLE IF EXISTS stories_story_fts",
]
PG_UP = [
    "ALTER TABLE stories_story ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(result, '') || ' ' || coalesce(hero_title, '') || ' ' || "
    "coalesce(tags, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(facets_text, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(body, '')), 'C')) STORED",
    "CREATE INDEX stories_story_search_gin ON stories_story USING GIN (search_vector)",
]
PG_DOWN = [
    "DROP INDEX IF EXISTS stories_story_search_gin",
    "ALTER TABLE stories_story DROP COLUMN IF EXISTS search_vector",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("stories", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": PG_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": PG_DOWN}),
        )
    ]
