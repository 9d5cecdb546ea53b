from django.db import migrations
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Greatest, TruncDate


def fill_display_copies(apps, schema_editor):
    """Copy the display period and sender of every sent message onto its deliveries.

    TruncDate takes the day in the current time zone (Europe/Paris), as the
    Mailbox does.
    """
    message_model = apps.get_model("messaging", "Message")
    delivery_model = apps.get_model("messaging", "Delivery")
    sent = message_model.objects.filter(status="sent", pk=OuterRef("message_id"))
    delivery_model.objects.filter(message__status="sent").update(
        received_on=Greatest(TruncDate("added_at"), Subquery(sent.values("display_start")[:1])),
        display_end=Subquery(sent.values("display_end")[:1]),
        sender_id=Subquery(sent.values("sender_id")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [("messaging", "0004_add_delivery_display_copies")]

    operations = [migrations.RunPython(fill_display_copies, migrations.RunPython.noop)]
