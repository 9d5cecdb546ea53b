"""Mailing lists: named, reusable sets of recipients owned by a structure."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from structures.models import PartnerKind, Service, Structure

NAME_MAX_LENGTH = 250


class MailingListQuerySet(models.QuerySet):
    def for_user(self, user):
        """Return the lists `user` may see, use and change.

        Users attached to the owner structure as a whole may use all its
        lists. Users restricted to a service may use that service's lists only.
        """
        from structures.access import scoped_condition

        condition = scoped_condition(user, structure_field="owner", service_field="owner_service")
        return self.filter(condition)

    def usable_for(self, message):
        """Return the lists whose recipients fit `message`: same owner, same recipient type."""
        return self.filter(owner_id=message.sender_id, recipient_kind=message.recipient_kind)


class MailingList(models.Model):
    """A named set of recipients, reusable in messages of its owner structure."""

    name = models.CharField(_("list name"), max_length=NAME_MAX_LENGTH)
    owner = models.ForeignKey(
        Structure,
        verbose_name=_("owner structure"),
        on_delete=models.PROTECT,
        related_name="mailing_lists",
    )
    owner_service = models.ForeignKey(
        Service,
        verbose_name=_("owner service"),
        on_delete=models.PROTECT,
        related_name="mailing_lists",
        null=True,
        blank=True,
        help_text=_(
            "When set, only the users of this service, or of the whole structure, may use the list."
        ),
    )
    recipient_kind = models.CharField(
        _("recipient type"),
        max_length=10,
        choices=PartnerKind.choices,
        default=PartnerKind.CUSTOMERS,
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
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("modified by"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )

    objects = MailingListQuerySet.as_manager()

    class Meta:
        verbose_name = _("mailing list")
        verbose_name_plural = _("mailing lists")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "owner",
                name="mailing_list_name_unique",
                violation_error_message=_("This structure already has a list with this name."),
            ),
            models.CheckConstraint(condition=~Q(name=""), name="mailing_list_name_not_empty"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        from mailing_lists.rules import check_mailing_list

        check_mailing_list(self)


class Member(models.Model):
    """One recipient of a mailing list: a structure, or one of its services."""

    mailing_list = models.ForeignKey(
        MailingList,
        verbose_name=_("mailing list"),
        on_delete=models.CASCADE,
        related_name="members",
    )
    structure = models.ForeignKey(
        Structure, verbose_name=_("structure"), on_delete=models.PROTECT, related_name="+"
    )
    service = models.ForeignKey(
        Service,
        verbose_name=_("service"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    added_at = models.DateTimeField(_("date added"), auto_now_add=True)

    class Meta:
        verbose_name = _("list recipient")
        verbose_name_plural = _("list recipients")
        constraints = [
            models.UniqueConstraint(
                fields=["mailing_list", "structure"],
                condition=Q(service__isnull=True),
                name="member_structure_unique",
            ),
            models.UniqueConstraint(
                fields=["mailing_list", "structure", "service"],
                condition=Q(service__isnull=False),
                name="member_service_unique",
            ),
        ]

    def __str__(self):
        return f"{self.mailing_list_id}: {self.structure_id}"
