import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """Indexes for the Mailbox and for a message's recipients.

    The single-column indexes of the two foreign keys go, and so does
    delivery_recipient_idx: each is the start of a composite index that
    serves the same lookups, and every index led by the recipient costs a
    random write per recipient when a message is sent to 100,000.
    """

    dependencies = [("messaging", "0005_fill_delivery_display_copies")]

    operations = [
        migrations.AlterField(
            model_name="delivery",
            name="message",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="deliveries",
                to="messaging.message",
                verbose_name="message",
            ),
        ),
        migrations.AlterField(
            model_name="delivery",
            name="recipient",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="deliveries",
                to="structures.structure",
                verbose_name="recipient structure",
            ),
        ),
        migrations.AddIndex(
            model_name="delivery",
            index=models.Index(fields=["message", "recipient", "id"], name="delivery_message_idx"),
        ),
        migrations.AddIndex(
            model_name="delivery",
            index=models.Index(
                fields=[
                    "recipient",
                    "display_end",
                    "received_on",
                    "message",
                    "read_at",
                    "sender",
                ],
                name="delivery_mailbox_idx",
            ),
        ),
        migrations.RemoveIndex(model_name="delivery", name="delivery_recipient_idx"),
    ]
