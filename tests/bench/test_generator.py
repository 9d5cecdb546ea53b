"""The benchmark data generator, at a tiny scale, on the test database."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from bench.national import MINISTRY_USERNAME, READER_USERNAME, national_tables
from bench.shapes import NationalShape, W1Shape
from bench.w1 import READER_USERNAME as W1_READER_USERNAME
from mailing_lists.models import MailingList
from messaging.models import Delivery, Message
from structures.access import scopes_of
from structures.models import Partner, PartnerKind, Service, Structure
from structures.siret import is_valid_siret

SCALE = 0.0005
NATIONAL = NationalShape().scaled(SCALE)
W1_SCALE = 0.002
W1 = W1Shape().scaled(W1_SCALE)

_SCHEMA_SQL = """
SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'
UNION ALL
SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) || ' ' || convalidated
FROM pg_constraint WHERE connamespace = 'public'::regnamespace
ORDER BY 1, 2, 3
"""
_FOREIGN_KEYS_SQL = """
SELECT conrelid::regclass::text, a.attname, confrelid::regclass::text
FROM pg_constraint c
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY(%s)
"""


def _schema():
    with connection.cursor() as cursor:
        cursor.execute(_SCHEMA_SQL)
        return cursor.fetchall()


def _dangling_references():
    """Return (table, column, count) for foreign keys that point to no row."""
    found = []
    with connection.cursor() as cursor:
        cursor.execute(_FOREIGN_KEYS_SQL, [national_tables()])
        for table, column, target in cursor.fetchall():
            cursor.execute(
                f"SELECT COUNT(*) FROM {table} t LEFT JOIN {target} r ON r.id = t.{column} "
                f"WHERE t.{column} IS NOT NULL AND r.id IS NULL"
            )
            count = cursor.fetchone()[0]
            if count:
                found.append((table, column, count))
    return found


def _empty_generated_tables():
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(national_tables())} CASCADE")


@pytest.fixture(scope="module")
def national_schema(django_db_setup, django_db_blocker):
    """Generate the national data set once for this module; return the schema before it."""
    with django_db_blocker.unblock():
        schema = _schema()
        call_command("generate_bench_data", scale=SCALE, stdout=_Sink())
        yield schema
        _empty_generated_tables()


@pytest.fixture
def national(national_schema, db):
    return national_schema


@pytest.fixture
def schema_before(transactional_db):
    return _schema()


class _Sink:
    def write(self, *args, **kwargs):
        pass

    def flush(self):
        pass


def _user(username):
    return get_user_model().objects.get(username=username)


@pytest.mark.postgresql
def test_national_counts_match_shape(national):
    assert Structure.objects.count() == NATIONAL.structures
    assert Structure.objects.filter(is_public=True).count() == NATIONAL.public_structures
    assert Service.objects.count() == NATIONAL.services
    assert get_user_model().objects.count() == NATIONAL.users
    assert Message.objects.count() == NATIONAL.messages
    assert Delivery.objects.count() == NATIONAL.deliveries
    assert MailingList.objects.count() == NATIONAL.mailing_lists


@pytest.mark.postgresql
def test_partner_pairs_are_stored_both_ways(national):
    pairs = Partner.objects.filter(partner_service__isnull=True)

    assert pairs.filter(kind=PartnerKind.SUPPLIERS).count() == NATIONAL.partner_pairs
    assert pairs.filter(kind=PartnerKind.CUSTOMERS).count() == NATIONAL.partner_pairs


@pytest.mark.postgresql
def test_identifiers_are_valid_distinct_sirets(national):
    identifiers = list(Structure.objects.values_list("identifier", flat=True))

    assert all(is_valid_siret(identifier) for identifier in identifiers)
    assert len(set(identifiers)) == len(identifiers)


@pytest.mark.postgresql
def test_public_sirens_start_with_one_or_two(national):
    public = Structure.objects.filter(is_public=True).values_list("identifier", flat=True)
    private = Structure.objects.filter(is_public=False).values_list("identifier", flat=True)

    assert {identifier[0] for identifier in public} <= {"1", "2"}
    assert {identifier[0] for identifier in private} <= set("3456789")


@pytest.mark.postgresql
def test_ministry_has_most_suppliers(national):
    ministry = scopes_of(_user(MINISTRY_USERNAME))[0].structure
    counts = (
        Partner.objects.filter(kind=PartnerKind.SUPPLIERS, partner_service__isnull=True)
        .values("structure")
        .annotate(suppliers=Count("pk"))
        .order_by("-suppliers")
    )

    assert counts[0]["structure"] == ministry.pk
    assert counts[0]["suppliers"] == NATIONAL.ministry_suppliers
    assert counts[1]["suppliers"] < NATIONAL.ministry_suppliers


@pytest.mark.postgresql
def test_reader_mailbox_has_its_share_displayed(national):
    reader = _user(READER_USERNAME)
    structure = scopes_of(reader)[0].structure
    mailbox = Delivery.objects.in_mailbox_of(reader, timezone.localdate())

    assert Delivery.objects.filter(recipient=structure).count() == NATIONAL.reader_messages
    assert mailbox.message_count() == NATIONAL.reader_displayed


@pytest.mark.postgresql
def test_deliveries_go_to_partners_of_sender(national):
    bad = 0
    for message in Message.objects.sent():
        recipients = Delivery.objects.filter(message=message).values("recipient_id")
        partners = Partner.objects.filter(
            structure=message.sender, kind=message.recipient_kind, partner_id__in=recipients
        )
        bad += recipients.count() - partners.values("partner_id").distinct().count()

    assert bad == 0


@pytest.mark.postgresql
def test_display_copies_match_messages(national):
    drafts = Delivery.objects.filter(message__status="draft", received_on__isnull=False)
    stale = sum(
        Delivery.objects.with_stale_copies_of(message).count() for message in Message.objects.sent()
    )

    assert not drafts.exists()
    assert stale == 0


@pytest.mark.postgresql
def test_foreign_keys_point_to_rows(national):
    assert _dangling_references() == []


@pytest.mark.postgresql
def test_schema_is_left_as_migrations_made_it(national):
    assert _schema() == national


@pytest.mark.postgresql
def test_non_empty_database_needs_reset(national):
    with pytest.raises(CommandError, match="--reset"):
        call_command("generate_bench_data", scale=SCALE, stdout=_Sink())


@pytest.mark.postgresql
def test_w1_reader_mailbox(schema_before):
    call_command("generate_bench_data", workload="w1", scale=W1_SCALE, reset=True, stdout=_Sink())
    reader = _user(W1_READER_USERNAME)
    mailbox = Delivery.objects.in_mailbox_of(reader, timezone.localdate())
    senders = mailbox.values("message__sender").distinct().count()
    unread = mailbox.unread().count()

    assert Message.objects.count() == W1.messages
    assert Delivery.objects.count() == W1.messages
    assert mailbox.message_count() == W1.reader_messages
    assert senders == W1.reader_senders
    assert 0 < unread < W1.reader_messages * 0.2
    assert _schema() == schema_before


def test_generator_refuses_sqlite(db):
    if connection.vendor == "postgresql":
        pytest.skip("checks the message given on SQLite")

    with pytest.raises(CommandError, match="needs PostgreSQL"):
        call_command("generate_bench_data", scale=SCALE)


def test_scale_outside_range_is_rejected():
    with pytest.raises(ValueError, match="scale"):
        NationalShape().scaled(2)


def test_too_small_scale_is_rejected():
    with pytest.raises(ValueError, match="Inconsistent"):
        NationalShape().scaled(0.000001)
