"""The partner relation: who exchanged at least one invoice with whom.

Messages may only go between partners, and every send, suggestion and
"all my recipients" reads this relation, so it is stored (table Partner)
instead of being computed from invoices on each request.
"""

import logging

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from structures.models import Invoice, Partner, PartnerKind, Service, Structure

logger = logging.getLogger(__name__)


def check_invoice_services(invoice: Invoice) -> None:
    """Raise ValidationError when an invoice names a service of another structure."""
    errors = {}
    if invoice.supplier_service_id and invoice.supplier_service.structure_id != invoice.supplier_id:
        errors["supplier_service"] = _("This service does not belong to the supplier.")
    if invoice.client_service_id and invoice.client_service.structure_id != invoice.client_id:
        errors["client_service"] = _("This service does not belong to the client.")
    if errors:
        raise ValidationError(errors)


def _links_of(invoice: Invoice) -> list[Partner]:
    """Return the partner rows that one invoice implies, in both directions."""
    links = [
        Partner(
            structure_id=invoice.supplier_id,
            kind=PartnerKind.CUSTOMERS,
            partner_id=invoice.client_id,
        ),
        Partner(
            structure_id=invoice.client_id,
            kind=PartnerKind.SUPPLIERS,
            partner_id=invoice.supplier_id,
        ),
    ]
    if invoice.client_service_id:
        links.append(
            Partner(
                structure_id=invoice.supplier_id,
                kind=PartnerKind.CUSTOMERS,
                partner_id=invoice.client_id,
                partner_service_id=invoice.client_service_id,
            )
        )
    if invoice.supplier_service_id:
        links.append(
            Partner(
                structure_id=invoice.client_id,
                kind=PartnerKind.SUPPLIERS,
                partner_id=invoice.supplier_id,
                partner_service_id=invoice.supplier_service_id,
            )
        )
    return links


def record_invoice_partners(invoice: Invoice) -> None:
    """Add the partner rows of a newly recorded invoice; existing rows are kept."""
    Partner.objects.bulk_create(_links_of(invoice), ignore_conflicts=True)


# One statement derives the whole relation from invoices. UNION removes the
# duplicates that many invoices between the same pair produce.
_REBUILD_SQL = """
INSERT INTO {partner} (structure_id, kind, partner_id, partner_service_id)
SELECT supplier_id, '{customers}', client_id, CAST(NULL AS BIGINT) FROM {invoice}
UNION
SELECT client_id, '{suppliers}', supplier_id, CAST(NULL AS BIGINT) FROM {invoice}
UNION
SELECT supplier_id, '{customers}', client_id, client_service_id FROM {invoice}
    WHERE client_service_id IS NOT NULL
UNION
SELECT client_id, '{suppliers}', supplier_id, supplier_service_id FROM {invoice}
    WHERE supplier_service_id IS NOT NULL
"""


@transaction.atomic
def rebuild_partners() -> int:
    """Replace the partner relation by the one derived from all invoices; return its size."""
    sql = _REBUILD_SQL.format(
        partner=connection.ops.quote_name(Partner._meta.db_table),
        invoice=connection.ops.quote_name(Invoice._meta.db_table),
        customers=PartnerKind.CUSTOMERS.value,
        suppliers=PartnerKind.SUPPLIERS.value,
    )
    Partner.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(sql)
    count = Partner.objects.count()
    logger.info("Partner relation rebuilt: %s rows", count)
    return count


def missing_partners(structure_id, kind, pairs):
    """Return the (structure, service) pairs of `pairs` that are not partners of a structure.

    `pairs` contains (structure id, service id or None) tuples. A structure qualifies
    when it exchanged an invoice with `structure_id` in the direction of
    `kind`; a service also needs invoices that name it. The result holds
    model instances, in identifier order, for error messages.
    """
    wanted = {(structure, service) for structure, service in pairs}
    if not wanted:
        return []
    known = set(
        Partner.objects.filter(
            structure_id=structure_id,
            kind=kind,
            partner_id__in={structure for structure, _ in wanted},
        ).values_list("partner_id", "partner_service_id")
    )
    missing = wanted - known
    if not missing:
        return []
    structures = Structure.objects.in_bulk({structure for structure, _ in missing})
    services = Service.objects.in_bulk({service for _, service in missing if service})
    found = [
        (structures[structure], services.get(service))
        for structure, service in missing
        if structure in structures
    ]
    return sorted(found, key=lambda pair: (pair[0].identifier, pair[1].code if pair[1] else ""))


def describe_recipients(pairs) -> str:
    """Return "SIRET DESIGNATION (SERVICE), ..." for (structure, service) pairs."""
    names = []
    for structure, service in pairs:
        name = f"{structure.identifier} {structure.designation}"
        names.append(f"{name} ({service.code})" if service else name)
    return ", ".join(names)
