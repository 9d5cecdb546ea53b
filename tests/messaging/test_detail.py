"""The message detail page: who may see it, what each side sees, read state, query count."""

import datetime
import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from messaging.audit import record_event
from messaging.models import Delivery, Message, MessageEvent
from messaging.sending import Recipient, send, set_draft_recipients
from tests.factories import (
    DraftFactory,
    MembershipFactory,
    PublicStructureFactory,
    ServiceFactory,
    StructureFactory,
    UserFactory,
    partners,
    sent_message,
)

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def town():
    return PublicStructureFactory(designation="COMMUNE DE BORDEAUX - MAIRE")


@pytest.fixture
def vendor():
    return StructureFactory(designation="ATELIERS DUPONT SARL")


@pytest.fixture
def author(town):
    return MembershipFactory(
        structure=town, user__first_name="Claire", user__last_name="Lambert"
    ).user


@pytest.fixture
def reader(vendor):
    return MembershipFactory(structure=vendor).user


@pytest.fixture
def message(town, vendor, author):
    return sent_message(
        sender=town,
        recipients=[vendor],
        by=author,
        created_by=author,
        title="Nouveau code service",
        body="Bonjour,\n\nLes factures vont au service <b>STECH</b>.\nMerci.",
    )


def detail_url(message):
    return reverse("messaging:message-detail", args=[message.pk])


def get_as(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def move_dates(message, start, end):
    """Set display dates directly, past the rule that a new start cannot be in the past."""
    Message.objects.filter(pk=message.pk).update(display_start=start, display_end=end)


# Who may see a message


def test_detail_requires_login(client, message):
    response = client.get(detail_url(message))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_sender_sees_message(client, author, message):
    assert get_as(client, author, detail_url(message)).status_code == 200


def test_recipient_sees_displayed_message(client, reader, message):
    assert get_as(client, reader, detail_url(message)).status_code == 200


def test_other_structure_message_is_404(client, message):
    stranger = MembershipFactory(structure=StructureFactory()).user

    assert get_as(client, stranger, detail_url(message)).status_code == 404


def test_other_structure_draft_is_404(client, reader):
    draft = DraftFactory()

    assert get_as(client, reader, detail_url(draft)).status_code == 404


def test_draft_is_404_for_its_chosen_recipient(client, town, vendor, reader):
    partners(vendor, town)
    draft = DraftFactory(sender=town)
    set_draft_recipients(draft, [Recipient(vendor.pk)])

    assert get_as(client, reader, detail_url(draft)).status_code == 404


def test_expired_message_is_404_for_recipient(client, reader, message):
    today = timezone.localdate()
    move_dates(message, today - 10 * DAY, today - DAY)

    assert get_as(client, reader, detail_url(message)).status_code == 404


def test_future_message_is_404_for_recipient(client, reader, message):
    today = timezone.localdate()
    move_dates(message, today + DAY, today + 10 * DAY)

    assert get_as(client, reader, detail_url(message)).status_code == 404


def test_message_ending_today_is_shown_to_recipient(client, reader, message):
    today = timezone.localdate()
    move_dates(message, today - 10 * DAY, today)

    assert get_as(client, reader, detail_url(message)).status_code == 200


def test_expired_message_stays_visible_to_sender(client, author, message):
    today = timezone.localdate()
    move_dates(message, today - 10 * DAY, today - DAY)

    assert get_as(client, author, detail_url(message)).status_code == 200


def test_other_service_message_is_404_for_service_user(client, town):
    technical = ServiceFactory(structure=town, code="STECH")
    finances = ServiceFactory(structure=town, code="FINANCES")
    user = MembershipFactory(structure=town, service=technical).user
    own = DraftFactory(sender=town, sender_service=technical)
    other = DraftFactory(sender=town, sender_service=finances)

    assert get_as(client, user, detail_url(own)).status_code == 200
    assert get_as(client, user, detail_url(other)).status_code == 404


def test_other_service_delivery_is_404_for_service_user(client, town):
    vendor = StructureFactory(manages_services=True)
    own, other = ServiceFactory(structure=vendor), ServiceFactory(structure=vendor)
    user = MembershipFactory(structure=vendor, service=own).user
    partners(vendor, town, supplier_service=other)
    message = DraftFactory(sender=town)
    set_draft_recipients(message, [Recipient(vendor.pk, other.pk)])
    send(message, by=None)

    assert get_as(client, user, detail_url(message)).status_code == 404


def test_unknown_reference_is_404(client, author):
    client.force_login(author)

    assert client.get("/messages/MSG_999999999/").status_code == 404
    assert client.get("/messages/MSG_12/").status_code == 404
    assert client.get("/messages/184/").status_code == 404


# What the sender side sees


def test_sender_sees_every_field(client, author, message, town):
    page = text_of(get_as(client, author, detail_url(message)))
    message.refresh_from_db()

    assert message.reference in page
    assert "Envoyé" in page
    assert town.identifier in page
    assert "COMMUNE DE BORDEAUX - MAIRE" in page
    assert "Fournisseurs" in page
    assert message.display_start.strftime("%d/%m/%Y") in page
    assert message.display_end.strftime("%d/%m/%Y") in page
    created = timezone.localtime(message.created_at).strftime("%d/%m/%Y %H:%M")
    sent = timezone.localtime(message.sent_at).strftime("%d/%m/%Y %H:%M")
    assert f"{created} par Claire Lambert" in page
    assert f"{sent} par Claire Lambert" in page
    assert "Nouveau code service" in page


def test_sender_service_is_shown(client, town):
    service = ServiceFactory(structure=town, code="STECH", label="Services techniques")
    user = MembershipFactory(structure=town).user
    draft = DraftFactory(sender=town, sender_service=service)

    page = text_of(get_as(client, user, detail_url(draft)))

    assert "STECH - Services techniques" in page


def test_body_keeps_line_breaks_and_is_escaped(client, author, message):
    page = get_as(client, author, detail_url(message)).content.decode()

    assert "Bonjour,\n\nLes factures vont au service &lt;b&gt;STECH&lt;/b&gt;.\nMerci." in page
    assert "<b>STECH</b>" not in page


def test_sender_sees_recipients(client, author, message, vendor):
    response = get_as(client, author, detail_url(message))
    page = text_of(response)

    assert vendor.identifier in page
    assert "ATELIERS DUPONT SARL" in page
    assert "Identifiant saisi" in page
    assert response.context["recipients"].paginator.count == 1


def test_sender_sees_history(client, author, message):
    record_event(
        message,
        MessageEvent.Action.MODIFIED,
        by=author,
        details={"fields": ["title", "body"], "form_token": "0123abcd"},
    )

    page = text_of(get_as(client, author, detail_url(message)))

    assert "1 destinataire" in page
    assert "modifié : titre, message" in page
    assert "0123abcd" not in page


def test_history_shows_date_changes_in_french_format(client, author, message):
    record_event(
        message,
        MessageEvent.Action.MODIFIED,
        by=author,
        details={"display_end": {"old": "2026-12-18", "new": "2026-12-31"}},
    )

    page = text_of(get_as(client, author, detail_url(message)))

    assert "Date de fin d'affichage : 18/12/2026 → 31/12/2026" in page
    assert page.count("Claire Lambert") >= 3


def test_draft_offers_modify_and_delete(client, town, author):
    draft = DraftFactory(sender=town)

    page = get_as(client, author, detail_url(draft)).text

    assert reverse("messaging:message-update", args=[draft.pk]) in page
    assert reverse("messaging:message-delete", args=[draft.pk]) in page
    assert reverse("messaging:outbox") in page


def test_sent_message_offers_modify_only(client, author, message):
    page = get_as(client, author, detail_url(message)).text

    assert reverse("messaging:message-update", args=[message.pk]) in page
    assert reverse("messaging:message-delete", args=[message.pk]) not in page


def test_expired_message_offers_no_modify(client, author, message):
    today = timezone.localdate()
    move_dates(message, today - 10 * DAY, today - DAY)

    page = get_as(client, author, detail_url(message)).text

    assert reverse("messaging:message-update", args=[message.pk]) not in page


def test_incomplete_draft_renders(client, town, author):
    draft = DraftFactory(sender=town, title="", body="", display_start=None, display_end=None)

    response = get_as(client, author, detail_url(draft))

    assert response.status_code == 200
    assert "(sans titre)" in text_of(response)


# What a recipient sees


def test_recipient_sees_content_without_recipients_or_history(client, reader, message, vendor):
    response = get_as(client, reader, detail_url(message))
    page = text_of(response)

    assert "Nouveau code service" in page
    assert "COMMUNE DE BORDEAUX - MAIRE" in page
    assert "ATELIERS DUPONT SARL" in page
    assert "recipients" not in response.context
    assert "history" not in response.context
    assert "Historique" not in page
    assert reverse("messaging:message-update", args=[message.pk]) not in page
    assert reverse("messaging:mailbox") in page


def test_recipient_sees_reception_date(client, reader, message):
    today = timezone.localdate()
    Delivery.objects.filter(message=message).update(added_at=timezone.now() - 5 * DAY)
    move_dates(message, today - 2 * DAY, today + 2 * DAY)

    response = get_as(client, reader, detail_url(message))

    assert response.context["received_on"] == today - 2 * DAY


def test_recipient_does_not_see_other_recipients(client, town, reader, vendor):
    other = StructureFactory(designation="CONCURRENT SA")
    message = sent_message(sender=town, recipients=[vendor, other])

    page = text_of(get_as(client, reader, detail_url(message)))

    assert "CONCURRENT SA" not in page


# Read state


def test_recipient_visit_marks_deliveries_read(client, town, vendor, reader):
    service = ServiceFactory(structure=vendor)
    partners(vendor, town, supplier_service=service)
    message = DraftFactory(sender=town)
    set_draft_recipients(message, [Recipient(vendor.pk), Recipient(vendor.pk, service.pk)])
    send(message, by=None)

    get_as(client, reader, detail_url(message))

    assert not Delivery.objects.filter(message=message, read_at__isnull=True).exists()


def test_marking_read_is_one_update(client, reader, message):
    client.force_login(reader)

    with CaptureQueriesContext(connection) as queries:
        client.get(detail_url(message))

    updates = [q["sql"] for q in queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1
    assert "messaging_delivery" in updates[0]


def test_second_visit_keeps_first_reading_date(client, reader, message):
    get_as(client, reader, detail_url(message))
    first = Delivery.objects.get(message=message).read_at

    with CaptureQueriesContext(connection) as queries:
        client.get(detail_url(message))

    assert Delivery.objects.get(message=message).read_at == first
    assert not [q for q in queries if q["sql"].startswith("UPDATE")]


def test_sender_visit_leaves_read_state(client, author, message):
    get_as(client, author, detail_url(message))

    assert Delivery.objects.get(message=message).read_at is None


def test_other_structure_delivery_stays_unread(client, town, vendor, reader):
    other = StructureFactory()
    message = sent_message(sender=town, recipients=[vendor, other])

    get_as(client, reader, detail_url(message))

    assert Delivery.objects.get(message=message, recipient=other).read_at is None


def test_user_on_both_sides_gets_sender_view(client, town, vendor, message):
    user = MembershipFactory(structure=town).user
    MembershipFactory(user=user, structure=vendor)

    response = get_as(client, user, detail_url(message))

    assert response.context["is_sender_side"]
    assert Delivery.objects.get(message=message).read_at is not None
    assert reverse("messaging:outbox") in response.text
    assert reverse("messaging:mailbox") in response.text


# Recipients pagination


@pytest.fixture
def crowded(town, author):
    """A message to 120 suppliers."""
    return sent_message(sender=town, recipients=[StructureFactory() for _ in range(120)], by=author)


def test_recipients_are_paginated_by_fifty(client, author, crowded):
    first = get_as(client, author, detail_url(crowded))
    last = client.get(detail_url(crowded), {"recipients_page": "3"})

    assert len(first.context["recipients"].page.object_list) == 50
    assert len(last.context["recipients"].page.object_list) == 20
    assert 'href="?recipients_page=2"' in first.text


@pytest.mark.parametrize(
    ("params", "number"),
    [
        ({"recipients_page": "-1"}, 1),
        ({"recipients_page": "abc"}, 1),
        ({"recipients_page": "999"}, 3),
        ({"per_page": "1000000"}, 1),
        ({"page": "2"}, 1),
    ],
)
def test_hostile_recipient_paging(client, author, crowded, params, number):
    response = get_as(client, author, detail_url(crowded), **params)

    assert response.status_code == 200
    assert response.context["recipients"].page.number == number
    assert len(response.context["recipients"].page.object_list) <= 50


# Query count


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_sender_query_count_does_not_grow_with_recipients(client, town, author):
    few = sent_message(sender=town, recipients=[StructureFactory() for _ in range(5)], by=author)
    many = sent_message(sender=town, recipients=[StructureFactory() for _ in range(50)], by=author)
    for target in (few, many):
        for _ in range(3):
            record_event(target, MessageEvent.Action.MODIFIED, by=author)
    client.force_login(author)

    assert _count_queries(client, detail_url(few)) == _count_queries(client, detail_url(many))
    assert _count_queries(client, detail_url(many)) <= 10


def test_recipient_query_count_is_bounded(client, town, reader, vendor):
    message = sent_message(sender=town, recipients=[vendor, *StructureFactory.create_batch(50)])
    client.force_login(reader)

    first_visit = _count_queries(client, detail_url(message))
    second_visit = _count_queries(client, detail_url(message))

    assert first_visit == second_visit + 1  # the UPDATE that marks the delivery read
    assert first_visit <= 10


def test_history_authors_load_in_one_query(client, town, author):
    message = sent_message(sender=town, recipients=[StructureFactory()], by=author)
    client.force_login(author)
    before = _count_queries(client, detail_url(message))
    for _ in range(20):
        record_event(message, MessageEvent.Action.MODIFIED, by=UserFactory())

    assert _count_queries(client, detail_url(message)) == before
