"""The listing search vector (PostgreSQL only): a generated ``tsvector`` over the jieba-segmented
words (title words weight A, the rest B) with a GIN index. The model does not declare the
column: it is written by PostgreSQL and read through ``marketplace.search_index``. SQLite has
no ``tsvector``; the search falls back to matching the segmented words there."""

from django.db import migrations

FORWARD = """
ALTER TABLE marketplace_listingindex ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', search_title), 'A')
        || setweight(to_tsvector('simple', search_body), 'B')
    ) STORED;
CREATE INDEX mk_li_search_vector ON marketplace_listingindex USING gin (search_vector);
"""
BACKWARD = """
DROP INDEX IF EXISTS mk_li_search_vector;
ALTER TABLE marketplace_listingindex DROP COLUMN IF EXISTS search_vector;
"""


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


def fill(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Index the auctions already published (same code as ``manage.py listings_reindex``)."""
    from marketplace.search_index import reindex_all

    reindex_all()


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0004_listingindex")]
    operations = [
        migrations.RunPython(forward, backward),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
