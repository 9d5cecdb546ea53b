"""Structures, their services, invoices, the partner relation and memberships."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from chorus_messages.text import fold

# Folding lengthens a few characters ("ß" becomes "ss"), so folded copies get twice the room.
FOLDED_MAX_LENGTH = 510


def folded_search_values(designation: str, city: str) -> dict[str, str]:
    """Return the folded copies of a designation and a city that searches compare against."""
    return {
        "designation_folded": fold(designation)[:FOLDED_MAX_LENGTH],
        "city_folded": fold(city)[:FOLDED_MAX_LENGTH],
    }


class IdentifierType(models.TextChoices):
    SIRET = "SIRET", "SIRET"
    UE_HORS_FRANCE = "UE_HORS_FRANCE", _("EU outside France")
    HORS_UE = "HORS_UE", _("Outside the EU")
    RIDET = "RIDET", "RIDET"
    TAHITI = "TAHITI", _("Tahiti number")
    AUTRE = "AUTRE", _("Other")
    PARTICULIER = "PARTICULIER", _("Private individual")


class PartnerKind(models.TextChoices):
    """Direction of an invoice relationship, seen from one structure."""

    CUSTOMERS = "customers", _("Customers")
    SUPPLIERS = "suppliers", _("Suppliers")


class StructureQuerySet(models.QuerySet):
    def for_user(self, user):
        """Return the structures `user` is attached to, wholly or through a service."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user).distinct()

    def partners_of(self, structure, kind=None):
        """Return the structures that exchanged an invoice with `structure`.

        `kind` is a PartnerKind (its customers or its suppliers); None means both.
        """
        links = Partner.objects.filter(structure=structure, partner_service__isnull=True)
        if kind:
            links = links.filter(kind=kind)
        return self.filter(pk__in=links.values("partner_id"))


class Structure(models.Model):
    """A legal establishment, public or private, identified by its SIRET or another identifier."""

    identifier_type = models.CharField(
        _("identifier type"),
        max_length=20,
        choices=IdentifierType.choices,
        default=IdentifierType.SIRET,
    )
    identifier = models.CharField(_("identifier"), max_length=80)
    designation = models.CharField(_("designation"), max_length=255)
    is_public = models.BooleanField(
        _("public body"),
        default=False,
        help_text=_("Public bodies receive invoices and may write to customers or suppliers."),
    )
    manages_services = models.BooleanField(_("manages services"), default=False)
    address = models.CharField(_("address"), max_length=255, blank=True)
    address_complement = models.CharField(_("address complement"), max_length=255, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=255, blank=True)
    country_code = models.CharField(_("country code"), max_length=2, default="FR")
    is_active = models.BooleanField(_("active"), default=True)
    # Lower case, accents removed: the recipient search compares against these.
    designation_folded = models.CharField(
        max_length=FOLDED_MAX_LENGTH, blank=True, editable=False, db_default=""
    )
    city_folded = models.CharField(
        max_length=FOLDED_MAX_LENGTH, blank=True, editable=False, db_default=""
    )

    objects = StructureQuerySet.as_manager()

    class Meta:
        verbose_name = _("structure")
        verbose_name_plural = _("structures")
        ordering = ["designation", "identifier"]
        constraints = [
            models.UniqueConstraint(
                fields=["identifier_type", "identifier"], name="structure_identifier_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["identifier"], name="structure_identifier_idx"),
            # The few inactive structures, which "all my recipients" leaves out.
            models.Index(
                fields=["id"], condition=Q(is_active=False), name="structure_inactive_idx"
            ),
        ]

    def __str__(self):
        return f"{self.identifier} - {self.designation}"

    def save(self, *args, **kwargs):
        for name, value in folded_search_values(self.designation, self.city).items():
            setattr(self, name, value)
        super().save(*args, **kwargs)


class Service(models.Model):
    """A department of a structure, named by a code unique within it (e.g. STECH)."""

    structure = models.ForeignKey(
        Structure,
        verbose_name=_("structure"),
        on_delete=models.PROTECT,
        related_name="services",
    )
    code = models.CharField(_("service code"), max_length=100)
    label = models.CharField(_("service label"), max_length=255, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["structure__designation", "code"]
        constraints = [
            models.UniqueConstraint(fields=["structure", "code"], name="service_code_unique"),
        ]

    def __str__(self):
        return f"{self.code} - {self.label}" if self.label else self.code


class Invoice(models.Model):
    """An invoice from a supplier to a client; the product only needs who invoiced whom."""

    supplier = models.ForeignKey(
        Structure,
        verbose_name=_("supplier"),
        on_delete=models.PROTECT,
        related_name="invoices_sent",
    )
    supplier_service = models.ForeignKey(
        Service,
        verbose_name=_("supplier service"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    client = models.ForeignKey(
        Structure,
        verbose_name=pgettext_lazy("invoice", "client"),
        on_delete=models.PROTECT,
        related_name="invoices_received",
    )
    client_service = models.ForeignKey(
        Service,
        verbose_name=_("client service"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    number = models.CharField(_("invoice number"), max_length=100)
    issued_on = models.DateField(_("invoice date"))

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issued_on", "number"]
        constraints = [
            models.UniqueConstraint(fields=["supplier", "number"], name="invoice_number_unique"),
            models.CheckConstraint(
                condition=~Q(supplier=models.F("client")), name="invoice_not_to_itself"
            ),
        ]

    def __str__(self):
        return self.number

    def save(self, *args, **kwargs):
        from structures.partners import record_invoice_partners

        super().save(*args, **kwargs)
        record_invoice_partners(self)

    def clean(self):
        from structures.partners import check_invoice_services

        check_invoice_services(self)


class Partner(models.Model):
    """One row of the partner relation: `partner` is a customer or a supplier of `structure`.

    Derived from invoices, stored in both directions so that every lookup reads
    the rows of one structure. A row with `partner_service` set records that
    the invoices name that service of the partner. The row without a service
    exists for every partner structure.
    """

    structure = models.ForeignKey(Structure, on_delete=models.CASCADE, related_name="partner_links")
    kind = models.CharField(_("partner kind"), max_length=10, choices=PartnerKind.choices)
    # Indexed first in partner_reverse_idx instead.
    partner = models.ForeignKey(
        Structure, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    partner_service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        constraints = [
            models.UniqueConstraint(
                fields=["structure", "kind", "partner"],
                condition=Q(partner_service__isnull=True),
                name="partner_structure_unique",
            ),
            models.UniqueConstraint(
                fields=["structure", "kind", "partner", "partner_service"],
                condition=Q(partner_service__isnull=False),
                name="partner_service_unique",
            ),
        ]
        indexes = [
            # Whether structures found by identifier or name are partners of one sender:
            # recipient suggestions and search start from the few matching structures.
            models.Index(fields=["partner", "structure", "kind"], name="partner_reverse_idx"),
        ]

    def __str__(self):
        return f"{self.partner_id} {self.kind} of {self.structure_id}"


class Membership(models.Model):
    """A user's attachment to a structure as a whole, or to one of its services."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    structure = models.ForeignKey(
        Structure,
        verbose_name=_("structure"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    service = models.ForeignKey(
        Service,
        verbose_name=_("service"),
        on_delete=models.PROTECT,
        related_name="memberships",
        null=True,
        blank=True,
        help_text=_("Leave empty to attach the user to the whole structure."),
    )

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "structure"],
                condition=Q(service__isnull=True),
                name="membership_structure_unique",
            ),
            models.UniqueConstraint(
                fields=["user", "structure", "service"],
                condition=Q(service__isnull=False),
                name="membership_service_unique",
            ),
        ]

    def __str__(self):
        scope = self.service.code if self.service_id else _("whole structure")
        return f"{self.user} → {self.structure.identifier} ({scope})"

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.service_id and self.structure_id and self.service.structure_id != self.structure_id:
            raise ValidationError(
                {"service": _("This service does not belong to the chosen structure.")}
            )
