"""Concurrency and faults on PostgreSQL, where row locks, sequences and outages are real.

Every thread uses its own database connection, as Django gives one per
thread, and closes it when done. The outage tests never touch the shared
PostgreSQL server: they point a connection at a port where nothing listens,
or stop a throwaway cluster of their own.
"""

import datetime
import logging
import re
import threading

import pytest
from django.db import DatabaseError, connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from messaging.models import Delivery, Message, MessageEvent, MessageStatus
from messaging.sending import Recipient, send, set_draft_recipients
from structures.models import Partner, PartnerKind, Structure
from tests.factories import (
    DraftFactory,
    MembershipFactory,
    PublicStructureFactory,
    StructureFactory,
    partners,
)
from tests.security.conftest import french
from tests.security.servers import (
    Browser,
    application_environment,
    free_port,
    gunicorn,
    prepare_application,
    throwaway_cluster,
)

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

THREAD_TIMEOUT_SECONDS = 120


def run_in_threads(count, target):
    """Start `count` threads on `target(index)` at once; return their results and errors."""
    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def worker(index):
        try:
            barrier.wait()
            results[index] = target(index)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=THREAD_TIMEOUT_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a thread did not finish"
    return results, errors


# ---------- Races ----------


def test_fifty_parallel_sends_deliver_once():
    town = PublicStructureFactory()
    vendors = StructureFactory.create_batch(20)
    for vendor in vendors:
        partners(vendor, town)
    author = MembershipFactory(structure=town).user
    draft = DraftFactory(sender=town, created_by=author, all_recipients=True)
    set_draft_recipients(draft, [Recipient(vendor.pk) for vendor in vendors[:5]])

    results, errors = run_in_threads(
        50, lambda index: send(Message.objects.get(pk=draft.pk), by=author)
    )

    assert errors == []
    assert sorted(results) == [False] * 49 + [True]
    assert Delivery.objects.filter(message=draft).count() == 20
    assert MessageEvent.objects.filter(message=draft, action="sent").count() == 1
    draft.refresh_from_db()
    assert draft.status == MessageStatus.SENT


def test_parallel_creations_get_distinct_references():
    town = PublicStructureFactory()
    per_thread = 10

    def create_ten(index):
        return [
            Message.objects.create(sender=town, title=f"Annonce {index}-{number}").pk
            for number in range(per_thread)
        ]

    results, errors = run_in_threads(20, create_ten)

    assert errors == []
    numbers = [number for created in results for number in created]
    assert len(numbers) == 200
    assert len(set(numbers)) == 200
    for created in results:
        assert created == sorted(created)
    references = Message.objects.values_list("pk", flat=True)
    assert all(re.fullmatch(r"MSG_\d{9}", Message(pk=pk).reference) for pk in references)
    assert Message.objects.create(sender=town).pk > max(numbers)


# ---------- A database error in the middle of a large sending ----------

RECIPIENT_COUNT = 100_000

_STRUCTURES_SQL = """
INSERT INTO {structure} (identifier_type, identifier, designation, is_public, manages_services,
    address, address_complement, postal_code, city, country_code, is_active)
SELECT 'SIRET', '9' || lpad(n::text, 13, '0'), 'FOURNISSEUR ' || n, false, false,
    '', '', '33000', 'Bordeaux', 'FR', true
FROM generate_series(1, %s) AS n
"""
_PARTNERS_SQL = """
INSERT INTO {partner} (structure_id, kind, partner_id, partner_service_id)
SELECT %s, %s, id, NULL FROM {structure} WHERE identifier LIKE '9%%'
"""
# Fails the insertion of the "sent" audit entry, the last write of a sending, so the error
# comes after the deliveries INSERT whatever the order of the steps before it.
_FAILING_TRIGGER_SQL = """
CREATE FUNCTION chorus_test_fail_sending() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'injected failure after % deliveries',
        (SELECT count(*) FROM {delivery} WHERE message_id = NEW.message_id);
END $$ LANGUAGE plpgsql;
CREATE TRIGGER chorus_test_fail_sending BEFORE INSERT ON {event}
    FOR EACH ROW WHEN (NEW.action = 'sent') EXECUTE FUNCTION chorus_test_fail_sending();
"""
_DROP_TRIGGER_SQL = """
DROP TRIGGER IF EXISTS chorus_test_fail_sending ON {event};
DROP FUNCTION IF EXISTS chorus_test_fail_sending();
"""


def _tables() -> dict[str, str]:
    quote = connection.ops.quote_name
    models = {
        "structure": Structure,
        "partner": Partner,
        "delivery": Delivery,
        "event": MessageEvent,
    }
    return {name: quote(model._meta.db_table) for name, model in models.items()}


def _crowded_draft(count):
    """Return a draft to "all my recipients" of a town with `count` suppliers, bulk inserted."""
    town = PublicStructureFactory()
    with connection.cursor() as cursor:
        cursor.execute(_STRUCTURES_SQL.format(**_tables()), [count])
        cursor.execute(_PARTNERS_SQL.format(**_tables()), [town.pk, PartnerKind.SUPPLIERS])
    author = MembershipFactory(structure=town).user
    return DraftFactory(sender=town, all_recipients=True, created_by=author), author


@pytest.fixture
def failing_trigger():
    """Make PostgreSQL refuse the audit entry of a sending, then remove that trigger."""
    with connection.cursor() as cursor:
        cursor.execute(_FAILING_TRIGGER_SQL.format(**_tables()))
    yield
    with connection.cursor() as cursor:
        cursor.execute(_DROP_TRIGGER_SQL.format(**_tables()))


def _assert_untouched(draft, events_before):
    updated_at = draft.updated_at
    draft.refresh_from_db()
    assert draft.status == MessageStatus.DRAFT
    assert draft.sent_at is None
    assert draft.sent_by is None
    assert draft.updated_at == updated_at
    assert Delivery.objects.count() == 0
    assert MessageEvent.objects.count() == events_before


@pytest.mark.slow
def test_database_error_mid_sending_leaves_draft_untouched(failing_trigger):
    draft, author = _crowded_draft(RECIPIENT_COUNT)
    events = MessageEvent.objects.count()

    with pytest.raises(DatabaseError, match=f"injected failure after {RECIPIENT_COUNT} deliveries"):
        send(draft, by=author)

    _assert_untouched(draft, events)


@pytest.mark.slow
def test_error_after_status_update_leaves_draft_untouched(monkeypatch):
    draft, author = _crowded_draft(RECIPIENT_COUNT)
    events = MessageEvent.objects.count()
    seen = {}

    def failing_record_event(message, action, *, by, details=None):
        seen["deliveries"] = Delivery.objects.filter(message=message).count()
        seen["status"] = Message.objects.get(pk=message.pk).status
        raise RuntimeError("injected failure while recording the audit entry")

    monkeypatch.setattr("messaging.sending.record_event", failing_record_event)

    with pytest.raises(RuntimeError):
        send(draft, by=author)

    assert seen == {"deliveries": RECIPIENT_COUNT, "status": MessageStatus.SENT}
    _assert_untouched(draft, events)


@pytest.mark.slow
def test_sending_succeeds_once_the_fault_is_gone():
    draft, author = _crowded_draft(RECIPIENT_COUNT)

    assert send(draft, by=author) is True

    assert Delivery.objects.filter(message=draft).count() == RECIPIENT_COUNT
    assert MessageEvent.objects.filter(message=draft, action="sent").count() == 1


def test_sending_error_gets_500_page(failing_trigger):
    draft, author = _crowded_draft(100)
    events = MessageEvent.objects.count()
    client = Client(raise_request_exception=False)
    client.force_login(author)
    data = {
        "sender": draft.sender_id,
        "sender_service": "",
        "recipient_kind": PartnerKind.SUPPLIERS,
        "all_recipients": "True",
        "display_start": draft.display_start.isoformat(),
        "display_end": draft.display_end.isoformat(),
        "title": draft.title,
        "body": draft.body,
        "siret": "",
        "action": "send",
    }

    response = client.post(reverse("messaging:message-update", args=[draft.pk]), data)

    assert response.status_code == 500
    content = response.content.decode()
    assert french("Server error") in content
    assert "Traceback" not in content
    assert "injected failure" not in content
    _assert_untouched(draft, events)


# ---------- The database is unreachable ----------


class Outage:
    """Cuts the default connection off its database, and restores it."""

    def __init__(self):
        self.original = dict(connection.settings_dict)

    def begin(self):
        # Nothing listens on a port just freed, so every connection attempt is refused.
        connection.close()
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(free_port()))

    def end(self):
        connection.close()
        connection.settings_dict.update(self.original)


@pytest.fixture
def outage():
    outage = Outage()
    yield outage
    outage.end()


def test_unreachable_database_gets_503_page(client, outage, caplog):
    user = MembershipFactory(structure=PublicStructureFactory()).user
    client.force_login(user)
    assert client.get(reverse("messaging:outbox")).status_code == 200

    outage.begin()
    with caplog.at_level(logging.ERROR, logger="chorus_messages.middleware"):
        outbox = client.get(reverse("messaging:outbox"))
        login = Client().post(reverse("login"), {"username": "x", "password": "y"})
        second = client.get(reverse("messaging:mailbox"))

    for response in (outbox, login, second):
        assert response.status_code == 503
        assert response["Retry-After"] == "30"
        content = response.content.decode()
        assert '<html lang="fr">' in content
        assert french("Service temporarily unavailable") in content
        assert "Traceback" not in content
        assert "Content-Security-Policy" in response
    # One report per process and minute: the second request of the same client is only counted.
    reports = [record.getMessage() for record in caplog.records if record.name.startswith("chorus")]
    assert len(reports) == 2
    assert "GET /boite-envoi/" in reports[0]
    assert "POST /connexion/" in reports[1]


def test_site_recovers_when_database_is_back(client, outage):
    user = MembershipFactory(structure=PublicStructureFactory()).user
    client.force_login(user)
    outage.begin()
    assert client.get(reverse("messaging:outbox")).status_code == 503

    outage.end()
    response = client.get(reverse("messaging:outbox"))

    assert response.status_code == 200
    assert "_auth_user_id" in client.session


@pytest.mark.slow
def test_gunicorn_survives_postgresql_restart():
    username, password = "exploitant", "une-phrase-de-passe-solide-2026"
    with throwaway_cluster() as cluster:
        cluster.create_database("chorus_fault")
        environment = application_environment(cluster, "chorus_fault", cluster.folder)
        prepare_application(environment, username=username, password=password)
        with gunicorn(environment, cluster.folder) as (base_url, server):
            browser = Browser(base_url)
            logged_in = browser.log_in(username, password)

            cluster.stop()
            down = browser.request("/")
            cluster.start()
            back = _first_success(browser, "/", seconds=15)

            assert server.poll() is None, "gunicorn must keep running through the outage"

    assert logged_in[0] == 200
    assert down[0] == 503
    assert down[2]["Retry-After"] == "30"
    assert '<html lang="fr">' in down[1]
    assert back[0] == 200
    # The session survived the outage: the Mailbox, not the login page.
    assert 'action="/deconnexion/"' in back[1]


def _first_success(browser, path, *, seconds):
    """Request `path` until the status is 200 or `seconds` pass; return the last response."""
    deadline = timezone.now() + datetime.timedelta(seconds=seconds)
    while True:
        answer = browser.request(path)
        if answer[0] == 200 or timezone.now() > deadline:
            return answer
