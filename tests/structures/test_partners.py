import pytest

from structures.models import Partner, PartnerKind, Structure
from structures.partners import rebuild_partners
from tests.factories import (
    InvoiceFactory,
    PublicStructureFactory,
    ServiceFactory,
    StructureFactory,
)

pytestmark = pytest.mark.django_db


def _rows():
    return set(
        Partner.objects.values_list("structure_id", "kind", "partner_id", "partner_service_id")
    )


def test_invoice_makes_client_a_customer_of_supplier():
    invoice = InvoiceFactory()

    customers = Structure.objects.partners_of(invoice.supplier, PartnerKind.CUSTOMERS)

    assert list(customers) == [invoice.client]


def test_invoice_makes_supplier_a_supplier_of_client():
    invoice = InvoiceFactory()

    suppliers = Structure.objects.partners_of(invoice.client, PartnerKind.SUPPLIERS)

    assert list(suppliers) == [invoice.supplier]


def test_relation_has_a_direction():
    invoice = InvoiceFactory()

    assert not Structure.objects.partners_of(invoice.supplier, PartnerKind.SUPPLIERS).exists()
    assert not Structure.objects.partners_of(invoice.client, PartnerKind.CUSTOMERS).exists()


def test_public_body_can_have_customers_and_suppliers():
    town = PublicStructureFactory()
    vendor = StructureFactory()
    agency = PublicStructureFactory()
    InvoiceFactory(supplier=vendor, client=town)
    InvoiceFactory(supplier=town, client=agency)

    assert set(Structure.objects.partners_of(town)) == {vendor, agency}
    assert list(Structure.objects.partners_of(town, PartnerKind.SUPPLIERS)) == [vendor]
    assert list(Structure.objects.partners_of(town, PartnerKind.CUSTOMERS)) == [agency]


def test_structures_without_invoice_are_not_partners():
    InvoiceFactory()
    stranger = StructureFactory()

    assert not Structure.objects.partners_of(stranger).exists()


def test_many_invoices_make_one_partner_row():
    first = InvoiceFactory()
    InvoiceFactory(supplier=first.supplier, client=first.client)

    assert Partner.objects.filter(structure=first.supplier).count() == 1


def test_invoice_services_become_partner_services():
    client_service = ServiceFactory(code="STECH")
    supplier_service = ServiceFactory(code="SERVICE_DEFAULT", structure=StructureFactory())
    invoice = InvoiceFactory(
        client=client_service.structure,
        client_service=client_service,
        supplier=supplier_service.structure,
        supplier_service=supplier_service,
    )

    assert _rows() == {
        (invoice.supplier_id, PartnerKind.CUSTOMERS, invoice.client_id, None),
        (invoice.supplier_id, PartnerKind.CUSTOMERS, invoice.client_id, client_service.pk),
        (invoice.client_id, PartnerKind.SUPPLIERS, invoice.supplier_id, None),
        (invoice.client_id, PartnerKind.SUPPLIERS, invoice.supplier_id, supplier_service.pk),
    }


def test_rebuild_gives_the_rows_recorded_one_by_one():
    service = ServiceFactory(code="STECH")
    town = service.structure
    vendors = StructureFactory.create_batch(3)
    InvoiceFactory(supplier=vendors[0], client=town, client_service=service)
    InvoiceFactory(supplier=vendors[1], client=town)
    InvoiceFactory(supplier=vendors[1], client=town)
    InvoiceFactory(supplier=town, client=vendors[2])
    recorded = _rows()

    Partner.objects.all().delete()
    count = rebuild_partners()

    assert _rows() == recorded
    assert count == len(recorded)


def test_rebuild_drops_rows_without_invoice():
    invoice = InvoiceFactory()
    stranger = StructureFactory()
    Partner.objects.create(structure=stranger, kind=PartnerKind.CUSTOMERS, partner=invoice.client)

    rebuild_partners()

    assert not Partner.objects.filter(structure=stranger).exists()


def test_invoice_with_service_of_another_structure_is_invalid():
    from django.core.exceptions import ValidationError

    foreign_service = ServiceFactory()
    invoice = InvoiceFactory.build(
        supplier=StructureFactory(),
        client=PublicStructureFactory(),
        client_service=foreign_service,
    )

    with pytest.raises(ValidationError) as error:
        invoice.full_clean()
    assert "client_service" in error.value.message_dict
