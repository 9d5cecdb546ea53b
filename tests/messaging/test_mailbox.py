"""The Mailbox tab: what is displayed when, one row per message, filters, unread state."""

import dataclasses
import datetime
import html
import re

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from chorus_messages.context_processors import mailbox_unread_count
from messaging.filters import SENDER_SEARCH_MAX_LENGTH
from messaging.mailbox import mailbox_of
from messaging.models import Delivery, Message
from messaging.sending import Recipient, send, set_draft_recipients
from tests.factories import (
    DraftFactory,
    MembershipFactory,
    PublicStructureFactory,
    ServiceFactory,
    StructureFactory,
    partners,
    sent_message,
)

pytestmark = pytest.mark.django_db

MAILBOX = reverse("messaging:mailbox")
DAY = datetime.timedelta(days=1)


@pytest.fixture
def vendor():
    return StructureFactory(designation="ATELIERS DUPONT SARL")


@pytest.fixture
def town():
    return PublicStructureFactory(designation="COMMUNE DE BORDEAUX - MAIRE")


@pytest.fixture
def user(vendor):
    return MembershipFactory(structure=vendor).user


@pytest.fixture
def client_of(client, user):
    client.force_login(user)
    return client


def listed(response) -> list[int]:
    """Return the primary keys of the messages on the page, in the table's order."""
    return [row.record.pk for row in response.context["table"].page.object_list]


def move_dates(message, start, end):
    """Set display dates directly, past the rule that a new start cannot be in the past."""
    Message.objects.filter(pk=message.pk).update(display_start=start, display_end=end)


def send_to(sender, recipients, **fields):
    """Send a message from `sender` to `recipients`: structures, or (structure, service) pairs."""
    message = DraftFactory(sender=sender, **fields)
    chosen = []
    for recipient in recipients:
        structure, service = recipient if isinstance(recipient, tuple) else (recipient, None)
        partners(structure, sender, supplier_service=service)
        chosen.append(Recipient(structure.pk, service.pk if service else None))
    set_draft_recipients(message, chosen)
    send(message, by=None)
    return message


# Scope and display period


def test_mailbox_requires_login(client):
    response = client.get(MAILBOX)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_displayed_message_is_listed(client_of, town, vendor):
    message = sent_message(sender=town, recipients=[vendor])

    response = client_of.get(MAILBOX)

    assert response.status_code == 200
    assert listed(response) == [message.pk]


def test_row_shows_every_column(client_of, town, vendor):
    body = "Bonjour,\nÀ compter du 1er mars, les factures des travaux de voirie " + "x" * 200
    message = sent_message(sender=town, recipients=[vendor], title="Nouveau code", body=body)

    page = html.unescape(client_of.get(MAILBOX).content.decode())

    assert timezone.localdate().strftime("%d/%m/%Y") in page
    assert "Nouveau code" in page
    assert town.identifier in page
    assert "COMMUNE DE BORDEAUX - MAIRE" in page
    assert message.reference in page
    assert "Bonjour, À compter du 1er mars" in page
    assert "x" * 200 not in page
    assert "…" in page
    assert reverse("messaging:message-detail", args=[message.pk]) in page


def test_short_body_has_no_ellipsis(client_of, town, vendor):
    sent_message(sender=town, recipients=[vendor], body="Fermeture le 15 août.")

    page = client_of.get(MAILBOX).text

    assert "Fermeture le 15 août." in html.unescape(page)
    assert "…" not in page


def test_other_structure_delivery_is_not_listed(client_of, town):
    sent_message(sender=town, recipients=[StructureFactory()])

    assert listed(client_of.get(MAILBOX)) == []


def test_draft_is_never_in_mailbox(client_of, town, vendor):
    partners(vendor, town)
    draft = DraftFactory(sender=town)
    set_draft_recipients(draft, [Recipient(vendor.pk)])

    assert listed(client_of.get(MAILBOX)) == []


def test_display_period_boundaries(client_of, town, vendor):
    today = timezone.localdate()
    ends_today = sent_message(sender=town, recipients=[vendor])
    starts_today = sent_message(sender=town, recipients=[vendor])
    ended_yesterday = sent_message(sender=town, recipients=[vendor])
    starts_tomorrow = sent_message(sender=town, recipients=[vendor])
    move_dates(ends_today, today - 5 * DAY, today)
    move_dates(starts_today, today, today + 5 * DAY)
    move_dates(ended_yesterday, today - 5 * DAY, today - DAY)
    move_dates(starts_tomorrow, today + DAY, today + 5 * DAY)

    shown = listed(client_of.get(MAILBOX))

    assert ends_today.pk in shown
    assert starts_today.pk in shown
    assert ended_yesterday.pk not in shown
    assert starts_tomorrow.pk not in shown


def test_message_leaves_mailbox_after_its_period(client_of, town, vendor):
    message = sent_message(sender=town, recipients=[vendor])
    today = timezone.localdate()
    assert listed(client_of.get(MAILBOX)) == [message.pk]

    move_dates(message, today - 10 * DAY, today - DAY)

    assert listed(client_of.get(MAILBOX)) == []


def test_service_user_gets_structure_and_own_service_deliveries(client, town):
    vendor = StructureFactory(manages_services=True)
    own = ServiceFactory(structure=vendor, code="STECH")
    other = ServiceFactory(structure=vendor, code="FINANCES")
    user = MembershipFactory(structure=vendor, service=own).user
    to_structure = send_to(town, [vendor])
    to_own_service = send_to(town, [(vendor, own)])
    send_to(town, [(vendor, other)])
    client.force_login(user)

    shown = listed(client.get(MAILBOX))

    assert sorted(shown) == sorted([to_structure.pk, to_own_service.pk])


def test_whole_structure_user_gets_every_service_delivery(client, town):
    vendor = StructureFactory(manages_services=True)
    service = ServiceFactory(structure=vendor)
    user = MembershipFactory(structure=vendor).user
    message = send_to(town, [(vendor, service)])
    client.force_login(user)

    assert listed(client.get(MAILBOX)) == [message.pk]


# One row per message


def test_structure_and_service_deliveries_make_one_row(client_of, town, vendor):
    service = ServiceFactory(structure=vendor)
    message = send_to(town, [vendor, (vendor, service)])
    assert message.deliveries.count() == 2

    assert listed(client_of.get(MAILBOX)) == [message.pk]


def test_two_recipient_structures_of_user_make_one_row(client, town):
    first, second = StructureFactory(), StructureFactory()
    user = MembershipFactory(structure=first).user
    MembershipFactory(user=user, structure=second)
    message = send_to(town, [first, second])
    client.force_login(user)

    assert listed(client.get(MAILBOX)) == [message.pk]


def test_single_structure_mailbox_is_one_per_message(user, vendor, town):
    sent_message(sender=town, recipients=[vendor])

    assert mailbox_of(user, timezone.localdate()).one_per_message


def test_service_delivery_makes_mailbox_group(user, vendor, town):
    service = ServiceFactory(structure=vendor)
    send_to(town, [(vendor, service)])

    assert not mailbox_of(user, timezone.localdate()).one_per_message


def test_expired_service_delivery_does_not_group(user, vendor, town):
    service = ServiceFactory(structure=vendor)
    expired = send_to(town, [(vendor, service)])
    today = timezone.localdate()
    move_dates(expired, today - 5 * DAY, today - DAY)

    assert mailbox_of(user, today).one_per_message


def test_user_of_two_structures_groups(town):
    first, second = StructureFactory(), StructureFactory()
    user = MembershipFactory(structure=first).user
    MembershipFactory(user=user, structure=second)

    assert not mailbox_of(user, timezone.localdate()).one_per_message


def test_ungrouped_mailbox_matches_grouped(user, vendor, town):
    today = timezone.localdate()
    messages = [sent_message(sender=town, recipients=[vendor]) for _ in range(4)]
    move_dates(messages[0], today - 3 * DAY, today + 3 * DAY)
    Delivery.objects.filter(message=messages[0]).update(added_at=timezone.now() - 2 * DAY)
    Delivery.objects.filter(message=messages[1]).update(read_at=timezone.now())
    mailbox = mailbox_of(user, today)
    grouped = dataclasses.replace(mailbox, one_per_message=False)

    assert mailbox.one_per_message
    assert [row["message_id"] for row in mailbox.by_message()][-1] == messages[0].pk
    assert list(mailbox.by_message()) == list(grouped.by_message())
    assert mailbox.message_count() == grouped.message_count() == 4


# Reception date and order


def _received_on(response, message):
    rows = response.context["table"].page.object_list
    return next(row.record.received_on for row in rows if row.record.pk == message.pk)


def test_reception_date_is_display_start_when_later(client_of, town, vendor):
    message = sent_message(sender=town, recipients=[vendor])
    today = timezone.localdate()
    Delivery.objects.filter(message=message).update(added_at=timezone.now() - 5 * DAY)
    move_dates(message, today - 2 * DAY, today + 2 * DAY)

    response = client_of.get(MAILBOX)

    assert _received_on(response, message) == today - 2 * DAY
    assert (today - 2 * DAY).strftime("%d/%m/%Y") in response.text


def test_reception_date_is_delivery_day_when_later(client_of, town, vendor):
    message = sent_message(sender=town, recipients=[vendor])
    today = timezone.localdate()
    move_dates(message, today - 4 * DAY, today + 2 * DAY)

    assert _received_on(client_of.get(MAILBOX), message) == today


def test_reception_date_uses_paris_calendar(client_of, town, vendor):
    # 23:30 UTC is already the next day in Paris, in winter (UTC+1) as in summer (UTC+2).
    message = sent_message(sender=town, recipients=[vendor])
    today = timezone.localdate()
    yesterday_late_utc = datetime.datetime.combine(
        today - DAY, datetime.time(23, 30), tzinfo=datetime.UTC
    )
    Delivery.objects.filter(message=message).update(added_at=yesterday_late_utc)
    move_dates(message, today - 10 * DAY, today + 2 * DAY)

    assert _received_on(client_of.get(MAILBOX), message) == today


def test_reception_date_is_earliest_of_user_deliveries(client_of, town, vendor):
    service = ServiceFactory(structure=vendor)
    message = send_to(town, [vendor, (vendor, service)])
    today = timezone.localdate()
    move_dates(message, today - 10 * DAY, today + 2 * DAY)
    Delivery.objects.filter(message=message, recipient_service=service).update(
        added_at=timezone.now() - 3 * DAY
    )

    assert _received_on(client_of.get(MAILBOX), message) == today - 3 * DAY


def test_newest_reception_first_then_reference(client_of, town, vendor):
    today = timezone.localdate()
    older = sent_message(sender=town, recipients=[vendor])
    same_day_first = sent_message(sender=town, recipients=[vendor])
    same_day_second = sent_message(sender=town, recipients=[vendor])
    Delivery.objects.filter(message=older).update(added_at=timezone.now() - 3 * DAY)
    move_dates(older, today - 3 * DAY, today + 3 * DAY)

    shown = listed(client_of.get(MAILBOX))

    assert shown == [same_day_second.pk, same_day_first.pk, older.pk]


def test_sort_parameter_is_ignored(client_of, town, vendor):
    messages = [sent_message(sender=town, recipients=[vendor]) for _ in range(3)]

    response = client_of.get(MAILBOX, {"sort": "title"})

    assert response.status_code == 200
    assert listed(response) == [m.pk for m in reversed(messages)]


# Filters


def test_sender_filter_by_siret(client_of, vendor, town):
    matching = sent_message(sender=town, recipients=[vendor])
    sent_message(sender=PublicStructureFactory(), recipients=[vendor])

    response = client_of.get(MAILBOX, {"sender": town.identifier})

    assert listed(response) == [matching.pk]


def test_sender_filter_by_siret_prefix_with_spaces(client_of, vendor):
    town = PublicStructureFactory(identifier="21330063500017")
    matching = sent_message(sender=town, recipients=[vendor])
    sent_message(sender=PublicStructureFactory(identifier="11000201100044"), recipients=[vendor])

    response = client_of.get(MAILBOX, {"sender": "213\u00a0300 635"})

    assert listed(response) == [matching.pk]


def test_sender_filter_by_designation_ignores_case_and_accents(client_of, vendor):
    region = PublicStructureFactory(designation="RÉGION NOUVELLE-AQUITAINE")
    matching = sent_message(sender=region, recipients=[vendor])
    sent_message(sender=PublicStructureFactory(designation="COMMUNE DE PAU"), recipients=[vendor])

    response = client_of.get(MAILBOX, {"sender": " nouvelle-aquitaine"})
    accented = client_of.get(MAILBOX, {"sender": "region"})
    spaced = client_of.get(MAILBOX, {"sender": "Région  \tNouvelle"})

    assert listed(response) == [matching.pk]
    assert listed(accented) == [matching.pk]
    assert listed(spaced) == [matching.pk]


def test_sender_filter_without_match_says_so(client_of, vendor, town):
    sent_message(sender=town, recipients=[vendor])

    response = client_of.get(MAILBOX, {"sender": "PREFECTURE"})

    assert response.status_code == 200
    assert listed(response) == []
    assert "Aucun message ne correspond à ces critères." in html.unescape(response.text)


def test_sender_filter_is_a_search_field(client_of, vendor, town):
    sent_message(sender=town, recipients=[vendor])

    page = client_of.get(MAILBOX).text

    assert '<input type="text" name="sender"' in page
    assert town.designation not in page.split('class="filters"')[1].split("</form>")[0]


def test_too_long_sender_search_is_form_error(client_of, town, vendor):
    sent_message(sender=town, recipients=[vendor])

    response = client_of.get(MAILBOX, {"sender": "A" * (SENDER_SEARCH_MAX_LENGTH + 1)})

    assert response.status_code == 200
    assert listed(response) == []
    assert response.context["filter"].form.errors["sender"]


def test_recipient_filter(client, town):
    first, second = StructureFactory(), StructureFactory()
    user = MembershipFactory(structure=first).user
    MembershipFactory(user=user, structure=second)
    to_first = send_to(town, [first])
    to_second = send_to(town, [second])
    client.force_login(user)

    assert listed(client.get(MAILBOX, {"recipient": first.pk})) == [to_first.pk]
    assert listed(client.get(MAILBOX, {"recipient": second.pk})) == [to_second.pk]


def test_recipient_choices_are_own_structures(client_of, vendor, town):
    sent_message(sender=town, recipients=[StructureFactory()])

    response = client_of.get(MAILBOX)

    assert list(response.context["filter"].form.fields["recipient"].queryset) == [vendor]


def test_recipient_filter_rejects_foreign_structure(client_of, town):
    foreign = StructureFactory()
    sent_message(sender=town, recipients=[foreign])

    response = client_of.get(MAILBOX, {"recipient": foreign.pk})

    assert response.status_code == 200
    assert listed(response) == []
    assert response.context["filter"].form.errors["recipient"]


def test_filters_and_page_size_survive_paging(client_of, town, vendor):
    for _ in range(7):
        sent_message(sender=town, recipients=[vendor])

    response = client_of.get(
        MAILBOX, {"sender": town.identifier, "recipient": vendor.pk, "per_page": "5", "page": "2"}
    )

    assert len(listed(response)) == 2
    expected = f"?sender={town.identifier}&amp;recipient={vendor.pk}&amp;per_page=5&amp;page=1"
    assert f'href="{expected}"' in response.text


def test_filter_form_keeps_page_size(client_of):
    page = client_of.get(MAILBOX, {"per_page": "10", "page": "3"}).text

    form = page[page.index('class="filters"') :]
    form = form[: form.index("</form>")]
    assert '<input type="hidden" name="per_page" value="10">' in form
    assert 'name="page"' not in form


def test_empty_mailbox_says_so(client_of):
    response = client_of.get(MAILBOX)

    assert "Aucun message n'est affiché à vos structures aujourd'hui." in html.unescape(
        response.content.decode()
    )


# Pagination


@pytest.mark.parametrize(
    ("params", "rows", "number"),
    [
        ({"per_page": "5"}, 5, 1),
        ({"per_page": "1000000"}, 12, 1),
        ({"per_page": "abc"}, 12, 1),
        ({"per_page": "5", "page": "-1"}, 5, 1),
        ({"per_page": "5", "page": "0"}, 5, 1),
        ({"per_page": "5", "page": "abc"}, 5, 1),
        ({"per_page": "5", "page": "1000"}, 2, 3),
    ],
)
def test_hostile_paging_parameters(client_of, town, vendor, params, rows, number):
    for _ in range(12):
        sent_message(sender=town, recipients=[vendor])

    response = client_of.get(MAILBOX, params)

    assert response.status_code == 200
    assert len(listed(response)) == rows
    assert response.context["table"].page.number == number


# Unread state and the tab count


def test_unread_row_is_bold_with_hidden_text(client_of, town, vendor):
    sent_message(sender=town, recipients=[vendor])

    page = client_of.get(MAILBOX).text

    assert re.search(r'<tr class="is-unread[ a-z]*">', page)
    assert '<span class="visually-hidden">non lu</span>' in page


def test_read_row_is_plain(client_of, town, vendor):
    message = sent_message(sender=town, recipients=[vendor])
    Delivery.objects.filter(message=message).update(read_at=timezone.now())

    page = client_of.get(MAILBOX).text

    assert "is-unread" not in page


def test_viewing_message_marks_it_read(client_of, town, vendor):
    message = sent_message(sender=town, recipients=[vendor])

    client_of.get(reverse("messaging:message-detail", args=[message.pk]))

    assert "is-unread" not in client_of.get(MAILBOX).text


def _tab_count(client):
    return client.get(MAILBOX).context["mailbox_unread_count"]()


def test_tab_counts_unread_displayed_messages(client_of, town, vendor):
    service = ServiceFactory(structure=vendor)
    send_to(town, [vendor, (vendor, service)])
    sent_message(sender=town, recipients=[vendor])
    read = sent_message(sender=town, recipients=[vendor])
    Delivery.objects.filter(message=read).update(read_at=timezone.now())
    expired = sent_message(sender=town, recipients=[vendor])
    today = timezone.localdate()
    move_dates(expired, today - 5 * DAY, today - DAY)

    assert _tab_count(client_of) == 2


def test_tab_count_is_shown_on_tab(client_of, town, vendor):
    sent_message(sender=town, recipients=[vendor])
    sent_message(sender=town, recipients=[vendor])

    page = client_of.get(reverse("messaging:outbox")).text

    assert '<span aria-hidden="true">2</span>' in page


def test_tab_count_drops_after_reading(client_of, town, vendor):
    message = sent_message(sender=town, recipients=[vendor])
    assert _tab_count(client_of) == 1

    client_of.get(reverse("messaging:message-detail", args=[message.pk]))

    assert _tab_count(client_of) == 0


def test_tab_count_needs_authenticated_user():
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()

    assert mailbox_unread_count(request) == {}


def test_tab_count_runs_no_query_until_read(vendor):
    request = RequestFactory().get("/")
    request.user = MembershipFactory(structure=vendor).user

    with CaptureQueriesContext(connection) as queries:
        context = mailbox_unread_count(request)
    assert len(queries) == 0

    with CaptureQueriesContext(connection) as queries:
        assert context["mailbox_unread_count"]() == 0
        assert context["mailbox_unread_count"]() == 0
    # The user's memberships, then the count itself.
    assert len(queries) == 2


# Query count


def _count_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(MAILBOX, {"per_page": "50"})
    assert response.status_code == 200
    return len(queries), response


def test_query_count_does_not_grow_with_rows(client_of, vendor):
    senders = [PublicStructureFactory() for _ in range(5)]
    for sender in senders:
        sent_message(sender=sender, recipients=[vendor])
    few, response = _count_queries(client_of)
    assert len(listed(response)) == 5
    for index in range(45):
        sent_message(sender=senders[index % 5], recipients=[vendor])

    many, response = _count_queries(client_of)

    assert len(listed(response)) == 50
    assert few == many
    assert many <= 10


def test_rendered_rows_match_listed_messages(client_of, town, vendor):
    messages = [sent_message(sender=town, recipients=[vendor]) for _ in range(3)]

    page = client_of.get(MAILBOX).text

    references = re.findall(r"<td >(MSG_\d{9})</td>|<td class=\"nowrap\">(MSG_\d{9})</td>", page)
    shown = [first or second for first, second in references]
    assert shown == [m.reference for m in reversed(messages)]
