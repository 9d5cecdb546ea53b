"""Messages, their deliveries to recipient structures, and the audit trail."""

import re

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models, transaction
from django.db.models import Case, Count, Exists, F, Min, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Greatest, Length, TruncDate
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import gettext_lazy as _

from chorus_messages.text import fold
from structures.models import PartnerKind, Service, Structure

TITLE_MAX_LENGTH = 50
BODY_MAX_LENGTH = 2000
# Folding lengthens some characters ("ß" becomes "ss"), so the folded title gets twice the room.
TITLE_FOLDED_MAX_LENGTH = TITLE_MAX_LENGTH * 2
REFERENCE_PREFIX = "MSG_"
# Message fields that deliveries copy for the Mailbox (see Delivery.received_on).
DISPLAY_FIELDS = frozenset({"status", "display_start", "display_end"})
_REFERENCE_PATTERN = re.compile(r"MSG_(\d{9})")


class MessageStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")


class DeliverySource(models.TextChoices):
    """Way a recipient was chosen: typed, searched, all partners or a mailing list."""

    TYPED = "typed", _("Typed identifier")
    SEARCH = "search", _("Recipient search")
    ALL = "all", _("All my recipients")
    MAILING_LIST = "list", _("Mailing list")


def format_reference(number: int) -> str:
    """Return the reference shown to users for message number `number`: MSG_ + 9 digits."""
    return f"{REFERENCE_PREFIX}{number:09d}"


def parse_reference(reference: str) -> int | None:
    """Return the message number in a reference such as MSG_000000184, or None."""
    match = _REFERENCE_PATTERN.fullmatch((reference or "").strip().upper())
    return int(match.group(1)) if match else None


class MessageQuerySet(models.QuerySet):
    def drafts(self):
        """Return the messages not sent yet."""
        return self.filter(status=MessageStatus.DRAFT)

    def sent(self):
        """Return the sent messages."""
        return self.filter(status=MessageStatus.SENT)

    def displayed_on(self, day):
        """Return the sent messages whose display period contains `day`, both ends included."""
        return self.sent().filter(display_start__lte=day, display_end__gte=day)

    def for_user(self, user):
        """Return the messages `user` may see and act on as a sender.

        A user attached to a whole structure sees all of its messages. A user
        restricted to a service sees the messages sent in that service's name.
        """
        from structures.access import scoped_condition

        condition = scoped_condition(user, structure_field="sender", service_field="sender_service")
        return self.filter(condition)

    def update(self, **kwargs):
        """Update the messages, and the display copies of their deliveries when it changes."""
        if not DISPLAY_FIELDS.intersection(kwargs):
            return super().update(**kwargs)
        with transaction.atomic(using=self.db, savepoint=False):
            changed = list(self.values_list("pk", flat=True))
            count = super().update(**kwargs)
            Delivery.objects.filter(message_id__in=changed).refresh_display_copies()
        return count

    def delete(self):
        """Delete drafts only; raise ProtectedError when the set contains a sent message."""
        sent = list(self.sent()[:1])
        if sent:
            raise models.ProtectedError(_("A sent message cannot be deleted."), set(sent))
        return super().delete()


class Message(models.Model):
    """A one-way announcement from a sender structure to partner structures."""

    sender = models.ForeignKey(
        Structure,
        verbose_name=_("sender structure"),
        on_delete=models.PROTECT,
        related_name="messages_sent",
    )
    sender_service = models.ForeignKey(
        Service,
        verbose_name=_("sender service"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    recipient_kind = models.CharField(
        _("recipient type"),
        max_length=10,
        choices=PartnerKind.choices,
        default=PartnerKind.CUSTOMERS,
    )
    all_recipients = models.BooleanField(_("all my recipients"), default=False)
    mailing_lists = models.ManyToManyField(
        "mailing_lists.MailingList",
        verbose_name=_("mailing lists"),
        related_name="messages",
        blank=True,
        help_text=_("Resolved into recipients when the message is sent."),
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH, blank=True)
    # Lower case, accents removed: the Outbox title filter searches this column.
    title_folded = models.CharField(max_length=TITLE_FOLDED_MAX_LENGTH, blank=True, editable=False)
    body = models.TextField(
        _("message"),
        max_length=BODY_MAX_LENGTH,
        blank=True,
        validators=[MaxLengthValidator(BODY_MAX_LENGTH)],
    )
    display_start = models.DateField(_("display start date"), null=True, blank=True)
    display_end = models.DateField(_("display end date"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=MessageStatus.choices,
        default=MessageStatus.DRAFT,
    )
    created_at = models.DateTimeField(_("creation date"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    updated_at = models.DateTimeField(_("last modified"), auto_now=True)
    sent_at = models.DateTimeField(_("sending date"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(display_end__gte=F("display_start"))
                | Q(display_start__isnull=True)
                | Q(display_end__isnull=True),
                name="message_end_not_before_start",
            ),
            models.CheckConstraint(
                condition=Q(status=MessageStatus.DRAFT)
                | (
                    Q(display_start__isnull=False, display_end__isnull=False)
                    & ~Q(title="")
                    & ~Q(body="")
                ),
                name="message_sent_is_complete",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("title"), TITLE_MAX_LENGTH),
                name="message_title_max_length",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("body"), BODY_MAX_LENGTH),
                name="message_body_max_length",
            ),
            models.CheckConstraint(
                condition=Q(status__in=MessageStatus.values), name="message_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["sender", "-created_at"], name="message_sender_created_idx"),
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    def save(self, *args, **kwargs):
        from messaging.rules import check_sent_message_changes

        self.body = normalize_line_breaks(self.body)
        # A few compatibility characters fold into many more ("ﷺ" into 18 letters). Their
        # tail is left out of the title search rather than overflowing the column.
        self.title_folded = fold(self.title)[:TITLE_FOLDED_MAX_LENGTH]
        if self.pk:
            check_sent_message_changes(self)
        with transaction.atomic(using=kwargs.get("using"), savepoint=False):
            super().save(*args, **kwargs)
            if self.is_sent:
                Delivery.objects.with_stale_copies_of(self).refresh_display_copies()

    def delete(self, *args, **kwargs):
        if not self.is_draft:
            raise models.ProtectedError(_("A sent message cannot be deleted."), {self})
        return super().delete(*args, **kwargs)

    def clean_fields(self, exclude=None):
        # Browsers send CRLF; the 2,000-character limit counts a line break once.
        self.body = normalize_line_breaks(self.body)
        super().clean_fields(exclude=exclude)

    def clean(self):
        from messaging.rules import check_message

        check_message(self)

    @property
    def reference(self) -> str:
        """The user-facing reference; the message number is its primary key."""
        return format_reference(self.pk) if self.pk else ""

    @property
    def is_draft(self) -> bool:
        return self.status == MessageStatus.DRAFT

    @property
    def is_sent(self) -> bool:
        return self.status == MessageStatus.SENT

    def is_expired(self, today) -> bool:
        """Return whether the message is sent and its display period ended before `today`."""
        return self.is_sent and self.display_end is not None and self.display_end < today


def normalize_line_breaks(text: str) -> str:
    """Return `text` with CRLF and CR line breaks as LF, so each counts as one character."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n")


def display_copies(added_at=None) -> dict:
    """Return the values of Delivery.received_on, display_end and sender, as expressions.

    All are read from the delivery's message and are empty while it is a
    draft. `added_at`, an expression or a datetime, replaces the delivery's
    own when an UPDATE changes it in the same statement.
    """
    if added_at is None:
        added_at = F("added_at")
    elif not hasattr(added_at, "resolve_expression"):
        added_at = Value(added_at, output_field=models.DateTimeField())
    sent = Message.objects.sent().filter(pk=OuterRef("message_id"))
    start = Subquery(sent.values("display_start")[:1])
    # PostgreSQL's GREATEST ignores NULL, so a draft is ruled out by CASE, not by its NULL start.
    received_on = Case(
        When(Exists(sent), then=Greatest(TruncDate(added_at), start)),
        default=None,
        output_field=models.DateField(),
    )
    return {
        "received_on": received_on,
        "display_end": Subquery(sent.values("display_end")[:1]),
        "sender_id": Subquery(sent.values("sender_id")[:1]),
    }


class DeliveryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        """Update the deliveries; a new `added_at` also moves the reception date it implies."""
        if "added_at" in kwargs and "received_on" not in kwargs:
            kwargs["received_on"] = display_copies(kwargs["added_at"])["received_on"]
        return super().update(**kwargs)

    def refresh_display_copies(self) -> int:
        """Copy the display period of each delivery's message again; return how many changed."""
        return self.update(**display_copies())

    def with_stale_copies_of(self, message):
        """Return the deliveries of sent `message` whose display copies differ from it."""
        received_on = Greatest(
            TruncDate("added_at"), Value(message.display_start, output_field=models.DateField())
        )
        return self.filter(message=message).exclude(
            received_on=received_on, display_end=message.display_end, sender=message.sender_id
        )

    def in_mailbox_of(self, user, day):
        """Return the deliveries to `user`'s structures of the messages displayed on `day`.

        A user attached to a whole structure receives what is sent to it or to
        any of its services. A user restricted to a service receives what is
        sent to the structure as a whole or to that service.
        """
        from structures.access import scopes_of

        condition = Q(pk__in=[])
        for scope in scopes_of(user):
            if scope.is_whole_structure:
                condition |= Q(recipient=scope.structure)
            else:
                condition |= Q(recipient=scope.structure) & (
                    Q(recipient_service__isnull=True) | Q(recipient_service=scope.service)
                )
        # The copies of the display period stand for the message's: a delivery
        # received on or before `day`, of a message displayed until `day` or later.
        return self.filter(condition, received_on__lte=day, display_end__gte=day)

    def unread(self):
        """Return the deliveries that no user of the recipient has opened yet."""
        return self.filter(read_at__isnull=True)

    def message_count(self) -> int:
        """Return how many distinct messages these deliveries reach."""
        return self.values("message_id").distinct().count()

    def by_message(self):
        """Return one row per message of these deliveries, newest first, then by reference.

        Each row is a dict: `message_id`, `received_on` (the earliest among
        the message's deliveries) and `unread` (how many of them are unread).
        """
        return (
            self.values("message_id")
            .annotate(
                first_received_on=Min("received_on"),
                # Counts message_id, not pk, so that the query reads the Mailbox index only.
                unread=Count("message_id", filter=Q(read_at__isnull=True)),
            )
            .order_by("-first_received_on", "-message_id")
        )


class Delivery(models.Model):
    """One recipient structure, or one of its services, of one message."""

    # Both foreign keys are indexed by the composite indexes of Meta instead.
    message = models.ForeignKey(
        Message,
        verbose_name=_("message"),
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,
    )
    recipient = models.ForeignKey(
        Structure,
        verbose_name=_("recipient structure"),
        on_delete=models.PROTECT,
        related_name="deliveries",
        db_index=False,
    )
    recipient_service = models.ForeignKey(
        Service,
        verbose_name=_("recipient service"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    source = models.CharField(
        _("chosen by"), max_length=10, choices=DeliverySource.choices, default=DeliverySource.TYPED
    )
    added_at = models.DateTimeField(_("date added"))
    read_at = models.DateTimeField(_("read on"), null=True, blank=True)
    # Copies of the message's display period and sender, so that the Mailbox reads
    # one index of this table instead of a message row per delivery. received_on is
    # the later of the day the delivery was added (Europe/Paris) and the display
    # start. All three are empty while the message is a draft. Message.save() and
    # the querysets' update() keep them in step, and raw SQL that writes deliveries
    # or display dates must set them too.
    received_on = models.DateField(_("reception date"), null=True, blank=True, editable=False)
    display_end = models.DateField(_("display end date"), null=True, blank=True, editable=False)
    # The message's sender, for the Mailbox's sender filter. Without a
    # constraint of its own: the message's foreign key is the one that holds.
    sender = models.ForeignKey(
        Structure,
        verbose_name=_("sender structure"),
        on_delete=models.DO_NOTHING,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
        db_constraint=False,
        db_index=False,
    )

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        constraints = [
            models.UniqueConstraint(
                fields=["message", "recipient"],
                condition=Q(recipient_service__isnull=True),
                name="delivery_structure_unique",
            ),
            models.UniqueConstraint(
                fields=["message", "recipient", "recipient_service"],
                condition=Q(recipient_service__isnull=False),
                name="delivery_service_unique",
            ),
        ]
        # Each index led by the recipient takes one random write per recipient of a
        # send: 100,000 for "all my recipients" of a ministry. So there is one.
        indexes = [
            # The recipients of a message in recipient order, for its detail page; with
            # the id, a page of them is found in the index alone.
            models.Index(fields=["message", "recipient", "id"], name="delivery_message_idx"),
            # The Mailbox, with every column its queries read, so that they scan this
            # index only; also every lookup by recipient.
            models.Index(
                fields=["recipient", "display_end", "received_on", "message", "read_at", "sender"],
                name="delivery_mailbox_idx",
            ),
            # Whether a Mailbox may contain two deliveries of one message (messaging.mailbox).
            # Partial, so that deliveries to a whole structure do not write to it.
            models.Index(
                fields=["recipient", "display_end"],
                condition=Q(recipient_service__isnull=False),
                name="delivery_to_service_idx",
            ),
        ]

    def __str__(self):
        return f"{self.message_id} → {self.recipient_id}"


class MessageEvent(models.Model):
    """One entry of a message's audit trail: who did what, and when."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        MODIFIED = "modified", _("Modified")
        SENT = "sent", _("Sent")
        RECIPIENTS_ADDED = "recipients_added", _("Recipients added")
        DELETED = "deleted", _("Deleted")

    message = models.ForeignKey(
        Message,
        verbose_name=_("message"),
        on_delete=models.SET_NULL,
        related_name="events",
        null=True,
    )
    # Kept as text so that the trail of a deleted draft still names it.
    message_reference = models.CharField(_("reference"), max_length=20)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
    )
    at = models.DateTimeField(_("date"), auto_now_add=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("history entry")
        verbose_name_plural = _("history")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.message_reference} {self.action}"
