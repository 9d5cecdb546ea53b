import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """Copies of the message's display period and sender on each delivery, for the Mailbox."""

    dependencies = [
        ("messaging", "0003_add_message_mailing_lists"),
        ("structures", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="delivery",
            name="display_end",
            field=models.DateField(
                blank=True, editable=False, null=True, verbose_name="display end date"
            ),
        ),
        migrations.AddField(
            model_name="delivery",
            name="received_on",
            field=models.DateField(
                blank=True, editable=False, null=True, verbose_name="reception date"
            ),
        ),
        migrations.AddField(
            model_name="delivery",
            name="sender",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="structures.structure",
                verbose_name="sender structure",
            ),
        ),
    ]
