from django.db import migrations

from chorus_messages.migration_helpers import PostgreSQLOnly


class Migration(migrations.Migration):
    """Indexes for identifier prefixes (LIKE 'prefix%') and designation searches."""

    dependencies = [("structures", "0001_initial")]

    operations = [
        PostgreSQLOnly(
            sql="CREATE EXTENSION IF NOT EXISTS pg_trgm",
            reverse_sql=migrations.RunSQL.noop,
        ),
        PostgreSQLOnly(
            sql="CREATE INDEX structure_identifier_prefix_idx "
            "ON structures_structure (identifier varchar_pattern_ops)",
            reverse_sql="DROP INDEX IF EXISTS structure_identifier_prefix_idx",
        ),
        PostgreSQLOnly(
            sql="CREATE INDEX structure_designation_trgm_idx "
            "ON structures_structure USING gin (UPPER(designation) gin_trgm_ops)",
            reverse_sql="DROP INDEX IF EXISTS structure_designation_trgm_idx",
        ),
    ]
