from django.db import migrations

from chorus_messages.migration_helpers import PostgreSQLOnly


class Migration(migrations.Migration):
    """Trigram index for the Outbox's "title contains" filter on the folded title."""

    dependencies = [("messaging", "0001_initial"), ("structures", "0002_postgresql_search_indexes")]

    operations = [
        PostgreSQLOnly(
            sql="CREATE INDEX message_title_folded_trgm_idx "
            "ON messaging_message USING gin (title_folded gin_trgm_ops)",
            reverse_sql="DROP INDEX IF EXISTS message_title_folded_trgm_idx",
        ),
    ]
