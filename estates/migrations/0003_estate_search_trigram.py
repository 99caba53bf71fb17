"""Trigram indexes for the residents' estate search (suggestions/selectors/public.py, issue 16), PostgreSQL only.

The search is ``icontains`` per word, which Django writes on PostgreSQL as ``UPPER(col::text) LIKE UPPER('%w%')``:
a GIN index of pg_trgm's ``gin_trgm_ops`` on that same expression serves it (a Bitmap Index Scan per column of the
OR). ``code__iexact`` is ``UPPER(code::text) = UPPER('w')``: a btree on that expression (the unique index is on
``code`` itself). The street branch reads ``street_id = ANY(ARRAY(agencies whose name matches))``, served by the
foreign key's own index. A trigram needs three characters: a word of one or two (most Chinese searches, e.g.
"月湖") has none, the GIN index would be read whole, and the planner rightly scans the table (docs/PERFORMANCE.md).
Nothing is declared in ``Meta.indexes``: SQLite has no pg_trgm, and the autodetector stays quiet.
pg_trgm ships with PostgreSQL's contrib; creating it needs a role allowed to (the .ci/run database is created by the
postgres superuser). On other databases this migration does nothing.
"""

from django.db import migrations

INDEXES = (
    ("estate_name_trgm", "GIN (UPPER(name::text) gin_trgm_ops)"),
    ("estate_address_trgm", "GIN (UPPER(address::text) gin_trgm_ops)"),
    ("estate_code_upper", "btree (UPPER(code::text))"),
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON estates_estate USING {definition}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _definition in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ("estates", "0002_history_names"),
    ]

    operations = [
        migrations.RunPython(create, drop, elidable=False),
    ]
