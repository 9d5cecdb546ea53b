from django.db import migrations

from chorus_messages.migration_helpers import PostgreSQLOnly


class Migration(migrations.Migration):
    """An index for postal code prefixes (LIKE 'prefix%') in the recipient search."""

    dependencies = [("structures", "0004_add_partner_reverse_index")]

    operations = [
        PostgreSQLOnly(
            sql="CREATE INDEX structure_postal_code_prefix_idx "
            "ON structures_structure (postal_code varchar_pattern_ops)",
            reverse_sql="DROP INDEX IF EXISTS structure_postal_code_prefix_idx",
        ),
    ]
