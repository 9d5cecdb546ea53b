"""A user's Mailbox on one day: its deliveries, counted and paged one row per message."""

from dataclasses import dataclass, replace

from django.db.models import Case, F, IntegerField, When

from messaging.models import Delivery, DeliveryQuerySet
from structures.access import scopes_of


@dataclass(frozen=True)
class Mailbox:
    """The deliveries displayed to a user's structures on one day.

    A message reaches a user through several deliveries when it was sent to
    several of the user's structures, or to a structure and one of its
    services. The Mailbox lists it once, so counting and paging group the
    deliveries by message. When `one_per_message` is true, no message has
    two deliveries here, so both read the deliveries without grouping them.
    Counting the 100,000 messages of a large Mailbox is then one index scan.
    """

    deliveries: DeliveryQuerySet
    one_per_message: bool

    def filter(self, deliveries: DeliveryQuerySet) -> "Mailbox":
        """Return this Mailbox restricted to `deliveries`, a filtered copy of its own."""
        return replace(self, deliveries=deliveries)

    def message_count(self) -> int:
        """Return how many messages the deliveries reach."""
        if self.one_per_message:
            return self.deliveries.count()
        return self.deliveries.message_count()

    def by_message(self):
        """Return the rows of DeliveryQuerySet.by_message(), in the same order."""
        if not self.one_per_message:
            return self.deliveries.by_message()
        return (
            self.deliveries.annotate(
                first_received_on=F("received_on"),
                unread=Case(
                    When(read_at__isnull=True, then=1), default=0, output_field=IntegerField()
                ),
            )
            .values("message_id", "first_received_on", "unread")
            .order_by("-received_on", "-message_id")
        )


def mailbox_of(user, day) -> Mailbox:
    """Return `user`'s Mailbox on `day`.

    The Mailbox has one delivery per message when the user acts for one
    structure, or one of its services, and no delivery to a service of that
    structure is displayed on `day`. Deliveries to a structure as a whole are
    unique per message (constraint `delivery_structure_unique`).
    """
    deliveries = Delivery.objects.in_mailbox_of(user, day)
    return Mailbox(deliveries, _one_per_message(user, day))


def _one_per_message(user, day) -> bool:
    scopes = scopes_of(user)
    if len(scopes) != 1:
        return False
    to_services = Delivery.objects.filter(
        recipient=scopes[0].structure,
        recipient_service__isnull=False,
        display_end__gte=day,
        received_on__lte=day,
    )
    return not to_services.exists()
