"""factory_boy factories shared by the test folders."""

import datetime
import itertools

import factory
from django.contrib.auth import get_user_model
from stdnum import luhn

from structures.models import Invoice, Membership, Service, Structure

_serials = itertools.count(1)


def make_siret(first_digit: str = "5") -> str:
    """Return a fresh SIRET whose SIREN and whole number both pass the Luhn checksum."""
    serial = next(_serials)
    siren_body = f"{first_digit}{serial:07d}"
    siren = siren_body + luhn.calc_check_digit(siren_body)
    nic_body = siren + "0001"
    return nic_body + luhn.calc_check_digit(nic_body)


class StructureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Structure

    identifier = factory.LazyFunction(lambda: make_siret())
    designation = factory.Sequence(lambda n: f"ENTREPRISE {n} SARL")
    is_public = False
    postal_code = "33000"
    city = "Bordeaux"


class PublicStructureFactory(StructureFactory):
    identifier = factory.LazyFunction(lambda: make_siret("2"))
    designation = factory.Sequence(lambda n: f"COMMUNE NUMERO {n}")
    is_public = True


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    structure = factory.SubFactory(PublicStructureFactory)
    code = factory.Sequence(lambda n: f"SERVICE_{n}")
    label = factory.Sequence(lambda n: f"Service {n}")


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invoice

    supplier = factory.SubFactory(StructureFactory)
    client = factory.SubFactory(PublicStructureFactory)
    number = factory.Sequence(lambda n: f"FAC-{n:06d}")
    issued_on = datetime.date(2026, 1, 15)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Martin{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.invalid")
    password = factory.django.Password("motdepasse-demo-2026")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    structure = factory.SubFactory(StructureFactory)
    service = None


def partners(supplier, client, **invoice_fields):
    """Record an invoice from `supplier` to `client`, which makes them partners."""
    return InvoiceFactory(supplier=supplier, client=client, **invoice_fields)


class DraftFactory(factory.django.DjangoModelFactory):
    """A complete draft from a public body to its suppliers, displayed from today."""

    class Meta:
        model = "messaging.Message"

    sender = factory.SubFactory(PublicStructureFactory)
    recipient_kind = "suppliers"
    title = factory.Sequence(lambda n: f"Annonce {n}")
    body = "À partir du 1er mars, les factures vont au service STECH."
    display_start = factory.LazyFunction(lambda: _today())
    display_end = factory.LazyFunction(lambda: _today() + datetime.timedelta(days=14))


def _today():
    from django.utils import timezone

    return timezone.localdate()


def sent_message(*, recipients, by=None, **fields):
    """Create a draft with `fields`, choose `recipients` (partners), send it, return it."""
    from messaging.sending import Recipient, send, set_draft_recipients

    message = DraftFactory(**fields)
    for recipient in recipients:
        if not message.sender.partner_links.filter(partner=recipient).exists():
            if message.recipient_kind == "suppliers":
                partners(recipient, message.sender)
            else:
                partners(message.sender, recipient)
    set_draft_recipients(message, [Recipient(r.pk) for r in recipients])
    send(message, by=by)
    message.refresh_from_db()
    return message
