from django.db import migrations

from chorus_messages.migration_helpers import PostgreSQLOnly


class Migration(migrations.Migration):
    """A covering index for the Outbox: its filters and sorts read the index alone.

    The Outbox pages through message ids first (messaging.tables.RowsByKey), so
    that sorting a large sender's messages by any column, at any page, scans
    this index instead of the message rows; only the page's rows are then read.
    """

    dependencies = [("messaging", "0006_add_delivery_mailbox_index")]

    operations = [
        PostgreSQLOnly(
            sql="CREATE INDEX message_outbox_idx ON messaging_message (sender_id, id) "
            "INCLUDE (sender_service_id, created_at, title, title_folded, display_start, "
            "display_end, status)",
            reverse_sql="DROP INDEX IF EXISTS message_outbox_idx",
        ),
    ]
