"""The Outbox tab: scope, columns, actions, filters, sorting, pagination and query count."""

import datetime
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from messaging.models import Message
from tests.factories import (
    DraftFactory,
    MembershipFactory,
    PublicStructureFactory,
    ServiceFactory,
    StructureFactory,
    UserFactory,
    sent_message,
)

pytestmark = pytest.mark.django_db

OUTBOX = reverse("messaging:outbox")
DAY = datetime.timedelta(days=1)
SORTABLE_COLUMNS = [
    "reference",
    "created_at",
    "sender_identifier",
    "sender_designation",
    "title",
    "display_start",
    "display_end",
    "status",
]


@pytest.fixture
def town():
    return PublicStructureFactory(designation="COMMUNE DE BORDEAUX - MAIRE")


@pytest.fixture
def user(town):
    return MembershipFactory(structure=town).user


@pytest.fixture
def client_of(client, user):
    client.force_login(user)
    return client


def listed(response) -> list[int]:
    """Return the primary keys of the messages on the page, in the table's order."""
    return [row.record.pk for row in response.context["table"].page.object_list]


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def move_dates(message, start, end):
    """Set display dates directly, past the rule that a new start cannot be in the past."""
    Message.objects.filter(pk=message.pk).update(display_start=start, display_end=end)


# Scope


def test_outbox_requires_login(client):
    response = client.get(OUTBOX)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_outbox_lists_own_structure_messages(client_of, town):
    own_draft = DraftFactory(sender=town)
    own_sent = sent_message(sender=town, recipients=[StructureFactory()])
    foreign = DraftFactory()

    response = client_of.get(OUTBOX)

    assert response.status_code == 200
    assert listed(response) == [own_sent.pk, own_draft.pk]
    assert foreign.reference not in response.text


def test_service_user_sees_only_its_service_messages(client, town):
    technical = ServiceFactory(structure=town, code="STECH")
    finances = ServiceFactory(structure=town, code="FINANCES")
    user = MembershipFactory(structure=town, service=technical).user
    mine = DraftFactory(sender=town, sender_service=technical)
    DraftFactory(sender=town, sender_service=finances)
    DraftFactory(sender=town)
    client.force_login(user)

    response = client.get(OUTBOX)

    assert listed(response) == [mine.pk]


def test_user_of_two_structures_sees_both(client):
    first, second = PublicStructureFactory(), PublicStructureFactory()
    user = MembershipFactory(structure=first).user
    MembershipFactory(user=user, structure=second)
    messages = [DraftFactory(sender=first), DraftFactory(sender=second)]
    client.force_login(user)

    response = client.get(OUTBOX)

    assert sorted(listed(response)) == sorted(m.pk for m in messages)


def test_user_without_structure_sees_empty_outbox(client):
    DraftFactory()
    client.force_login(UserFactory())

    response = client.get(OUTBOX)

    assert response.status_code == 200
    assert listed(response) == []


# Columns and actions


def test_row_shows_every_column(client_of, town):
    message = DraftFactory(sender=town, title="Élagage des platanes")
    move_dates(message, datetime.date(2026, 3, 2), datetime.date(2026, 3, 16))
    created = timezone.localtime(Message.objects.get(pk=message.pk).created_at)

    page = text_of(client_of.get(OUTBOX))

    assert message.reference in page
    assert created.strftime("%d/%m/%Y") in page
    assert town.identifier in page
    assert "COMMUNE DE BORDEAUX - MAIRE" in page
    assert "Élagage des platanes" in page
    assert "02/03/2026" in page
    assert "16/03/2026" in page
    assert "Brouillon" in page


def test_draft_row_offers_view_modify_delete(client_of, town):
    message = DraftFactory(sender=town)

    page = client_of.get(OUTBOX).text

    assert reverse("messaging:message-detail", args=[message.pk]) in page
    assert reverse("messaging:message-update", args=[message.pk]) in page
    assert reverse("messaging:message-delete", args=[message.pk]) in page


def test_sent_row_cannot_be_deleted(client_of, town):
    message = sent_message(sender=town, recipients=[StructureFactory()])

    page = client_of.get(OUTBOX).text

    assert reverse("messaging:message-update", args=[message.pk]) in page
    assert reverse("messaging:message-delete", args=[message.pk]) not in page


def test_expired_sent_row_is_view_only(client_of, town):
    message = sent_message(sender=town, recipients=[StructureFactory()])
    today = timezone.localdate()
    move_dates(message, today - 10 * DAY, today - DAY)

    page = client_of.get(OUTBOX).text

    assert reverse("messaging:message-detail", args=[message.pk]) in page
    assert reverse("messaging:message-update", args=[message.pk]) not in page
    assert reverse("messaging:message-delete", args=[message.pk]) not in page


def test_sent_row_ending_today_can_be_modified(client_of, town):
    message = sent_message(sender=town, recipients=[StructureFactory()])
    today = timezone.localdate()
    move_dates(message, today - 10 * DAY, today)

    page = client_of.get(OUTBOX).text

    assert reverse("messaging:message-update", args=[message.pk]) in page


def test_outbox_links_to_message_creation(client_of):
    page = client_of.get(OUTBOX).text

    assert f'href="{reverse("messaging:message-create")}"' in page


def test_empty_outbox_says_so(client_of):
    response = client_of.get(OUTBOX)

    assert response.context["table"].empty_text == "Aucun message pour le moment."


def test_empty_filtered_outbox_says_so(client_of, town):
    DraftFactory(sender=town, title="Fermeture")

    response = client_of.get(OUTBOX, {"title": "ouverture annuelle"})

    assert listed(response) == []
    assert "Aucun message ne correspond à ces critères." in text_of(response)


# Filters


def test_sender_choices_are_own_structures(client, town):
    other = PublicStructureFactory()
    user = MembershipFactory(structure=town).user
    client.force_login(user)

    response = client.get(OUTBOX)

    choices = list(response.context["filter"].form.fields["sender"].queryset)
    assert choices == [town]
    assert other.designation not in response.text


def test_sender_filter(client):
    first, second = PublicStructureFactory(), PublicStructureFactory()
    user = MembershipFactory(structure=first).user
    MembershipFactory(user=user, structure=second)
    DraftFactory(sender=first)
    kept = DraftFactory(sender=second)
    client.force_login(user)

    response = client.get(OUTBOX, {"sender": second.pk})

    assert listed(response) == [kept.pk]


def test_sender_filter_rejects_foreign_structure(client_of, town):
    foreign = PublicStructureFactory()
    DraftFactory(sender=foreign)
    DraftFactory(sender=town)

    response = client_of.get(OUTBOX, {"sender": foreign.pk})

    assert response.status_code == 200
    assert listed(response) == []
    assert response.context["filter"].form.errors["sender"]


def test_status_filter(client_of, town):
    draft = DraftFactory(sender=town)
    sent = sent_message(sender=town, recipients=[StructureFactory()])

    drafts = client_of.get(OUTBOX, {"status": "draft"})
    sents = client_of.get(OUTBOX, {"status": "sent"})

    assert listed(drafts) == [draft.pk]
    assert listed(sents) == [sent.pk]


def test_unknown_status_is_form_error(client_of, town):
    DraftFactory(sender=town)

    response = client_of.get(OUTBOX, {"status": "archived"})

    assert response.status_code == 200
    assert listed(response) == []
    assert response.context["filter"].form.errors["status"]


@pytest.mark.parametrize("typed", ["elagage", "ÉLAGAGE", "Élagage", "lagag", "  elagage  "])
def test_title_filter_ignores_case_and_accents(client_of, town, typed):
    kept = DraftFactory(sender=town, title="Élagage des platanes")
    DraftFactory(sender=town, title="Fermeture estivale")

    response = client_of.get(OUTBOX, {"title": typed})

    assert listed(response) == [kept.pk]


def test_title_filter_treats_wildcards_as_text(client_of, town):
    kept = DraftFactory(sender=town, title="Remise de 10% sur_place")
    DraftFactory(sender=town, title="Remise de 10 euros")

    assert listed(client_of.get(OUTBOX, {"title": "10%"})) == [kept.pk]
    assert listed(client_of.get(OUTBOX, {"title": "_"})) == [kept.pk]


def test_reference_filter_accepts_three_forms(client_of, town):
    kept = DraftFactory(sender=town)
    DraftFactory(sender=town)

    for typed in [kept.reference, f"{kept.pk:09d}", str(kept.pk), kept.reference.lower()]:
        response = client_of.get(OUTBOX, {"reference": typed})

        assert listed(response) == [kept.pk], typed


@pytest.mark.parametrize("typed", ["MSG_abc", "12a", "MSG_0000000001234", "-5", "1 2", "²"])
def test_reference_filter_rejects_garbage(client_of, town, typed):
    DraftFactory(sender=town)

    response = client_of.get(OUTBOX, {"reference": typed})

    assert response.status_code == 200
    assert listed(response) == []
    assert response.context["filter"].form.errors["reference"]


def test_reference_filter_ignores_foreign_message(client_of, town):
    foreign = DraftFactory()

    response = client_of.get(OUTBOX, {"reference": foreign.reference})

    assert listed(response) == []


def _three_starts(town):
    today = timezone.localdate()
    messages = [DraftFactory(sender=town) for _ in range(3)]
    for offset, message in zip([1, 5, 9], messages, strict=True):
        move_dates(message, today + offset * DAY, today + 20 * DAY)
    return today, messages


def test_start_date_range_filter(client_of, town):
    today, (_early, middle, late) = _three_starts(town)
    start_from = (today + 2 * DAY).strftime("%d/%m/%Y")
    start_to = (today + 9 * DAY).strftime("%d/%m/%Y")

    response = client_of.get(OUTBOX, {"start_from": start_from, "start_to": start_to})

    assert listed(response) == [late.pk, middle.pk]


def test_start_date_range_includes_both_ends(client_of, town):
    today, (_early, middle, _late) = _three_starts(town)
    day = (today + 5 * DAY).strftime("%d/%m/%Y")

    response = client_of.get(OUTBOX, {"start_from": day, "start_to": day})

    assert listed(response) == [middle.pk]


def test_start_date_accepts_iso_format(client_of, town):
    today, (_early, _middle, late) = _three_starts(town)

    response = client_of.get(OUTBOX, {"start_from": (today + 6 * DAY).isoformat()})

    assert listed(response) == [late.pk]


@pytest.mark.parametrize("typed", ["31/02/2026", "demain", "2026-13-01", "00/00/0000", "1/1/99999"])
def test_invalid_start_date_is_field_error(client_of, town, typed):
    DraftFactory(sender=town)

    response = client_of.get(OUTBOX, {"start_from": typed})

    assert response.status_code == 200
    assert listed(response) == []
    assert response.context["filter"].form.errors["start_from"]


def test_invalid_date_error_is_french(client_of):
    response = client_of.get(OUTBOX, {"start_to": "31/02/2026"})

    assert "Saisissez une date valide." in text_of(response)


def test_reversed_date_range_is_error(client_of, town):
    DraftFactory(sender=town)

    response = client_of.get(OUTBOX, {"start_from": "10/03/2026", "start_to": "01/03/2026"})

    assert response.status_code == 200
    assert response.context["filter"].form.errors["start_to"]


def test_filters_combine(client_of, town):
    wanted = sent_message(sender=town, recipients=[StructureFactory()], title="Élagage rue A")
    sent_message(sender=town, recipients=[StructureFactory()], title="Fermeture")
    DraftFactory(sender=town, title="Élagage rue B")

    response = client_of.get(
        OUTBOX, {"status": "sent", "title": "elagage", "sender": town.pk, "reference": wanted.pk}
    )

    assert listed(response) == [wanted.pk]


def test_filter_form_keeps_sort_and_page_size(client_of, town):
    DraftFactory(sender=town)

    page = client_of.get(OUTBOX, {"sort": "-title", "per_page": "5", "page": "2"}).text

    form = page[page.index('class="filters"') :]
    form = form[: form.index("</form>")]
    assert '<input type="hidden" name="sort" value="-title">' in form
    assert '<input type="hidden" name="per_page" value="5">' in form
    assert 'name="page"' not in form


def test_reset_links_to_bare_outbox(client_of):
    page = client_of.get(OUTBOX, {"title": "x", "sort": "title"}).text

    assert f'<a class="button button--secondary" href="{OUTBOX}">' in page


def test_date_inputs_are_text_with_french_placeholder(client_of):
    page = client_of.get(OUTBOX).text

    assert re.search(r'<input type="text" name="start_from"[^>]*placeholder="jj/mm/aaaa"', page)


# Sorting


@pytest.fixture
def sortable(town):
    """Three messages whose values differ in every column, from two structures of one user."""
    today = timezone.localdate()
    other = PublicStructureFactory(identifier="21000000000009", designation="AAA MAIRIE")
    town.identifier = "21999999999990"
    town.save()
    user = MembershipFactory(structure=town).user
    MembershipFactory(user=user, structure=other)
    specs = [
        (town, "Charlie", 2, 20, 3),
        (other, "Alpha", 1, 30, 1),
        (town, "Bravo", 3, 10, 2),
    ]
    messages = []
    for sender, title, start, end, age in specs:
        message = DraftFactory(sender=sender, title=title)
        move_dates(message, today + start * DAY, today + end * DAY)
        created = timezone.now() - age * DAY
        Message.objects.filter(pk=message.pk).update(created_at=created)
        messages.append(message)
    sent = sent_message(sender=other, recipients=[StructureFactory()], title="Delta")
    move_dates(sent, today + 4 * DAY, today + 5 * DAY)
    messages.append(sent)
    return user, Message.objects.filter(pk__in=[m.pk for m in messages]).select_related("sender")


SORT_KEYS = {
    "reference": lambda m: m.pk,
    "created_at": lambda m: (m.created_at, m.pk),
    "sender_identifier": lambda m: (m.sender.identifier, m.pk),
    "sender_designation": lambda m: (m.sender.designation, m.pk),
    "title": lambda m: (m.title, m.pk),
    "display_start": lambda m: (m.display_start, m.pk),
    "display_end": lambda m: (m.display_end, m.pk),
    "status": lambda m: (m.status, m.pk),
}


@pytest.mark.parametrize("column", SORTABLE_COLUMNS)
@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
def test_every_column_sorts_both_ways(client, sortable, column, descending):
    user, messages = sortable
    client.force_login(user)
    expected = [m.pk for m in sorted(messages, key=SORT_KEYS[column], reverse=descending)]

    response = client.get(OUTBOX, {"sort": f"-{column}" if descending else column})

    assert response.status_code == 200
    assert listed(response) == expected


def test_default_order_is_newest_reference_first(client, sortable):
    user, messages = sortable
    client.force_login(user)

    response = client.get(OUTBOX)

    assert listed(response) == sorted((m.pk for m in messages), reverse=True)


def test_drafts_without_dates_sort_last_both_ways(client_of, town):
    dated = DraftFactory(sender=town)
    undated = DraftFactory(sender=town, display_start=None, display_end=None)

    ascending = client_of.get(OUTBOX, {"sort": "display_start"})
    descending = client_of.get(OUTBOX, {"sort": "-display_end"})

    assert listed(ascending) == [dated.pk, undated.pk]
    assert listed(descending) == [dated.pk, undated.pk]
    assert "—" in ascending.text


@pytest.mark.parametrize("sort", ["nonexistent", "-", "", "body", "title,zzz", "-pk", "actions"])
def test_unknown_sort_is_ignored(client_of, town, sort):
    messages = [DraftFactory(sender=town) for _ in range(3)]

    response = client_of.get(OUTBOX, {"sort": sort})

    assert response.status_code == 200
    assert sorted(listed(response)) == sorted(m.pk for m in messages)


def test_sort_links_keep_filters(client_of, town):
    DraftFactory(sender=town, title="Élagage")

    page = client_of.get(OUTBOX, {"title": "elagage", "page": "1"}).text

    assert 'href="?title=elagage&amp;sort=title"' in page


def test_sorted_column_has_aria_sort(client_of, town):
    DraftFactory(sender=town)

    page = client_of.get(OUTBOX, {"sort": "-title"}).text

    assert 'aria-sort="descending"' in page
    assert page.count("aria-sort=") == 1


# Pagination and rows per page


@pytest.fixture
def many(town):
    return [DraftFactory(sender=town, title=f"Annonce {n:02d}") for n in range(25)]


def test_default_page_size_is_twenty(client_of, many):
    first = client_of.get(OUTBOX)
    second = client_of.get(OUTBOX, {"page": "2"})

    assert len(listed(first)) == 20
    assert len(listed(second)) == 5


@pytest.mark.parametrize("per_page", [5, 10, 20, 50])
def test_offered_page_sizes(client_of, many, per_page):
    response = client_of.get(OUTBOX, {"per_page": str(per_page)})

    assert len(listed(response)) == min(per_page, 25)
    assert response.context["per_page"] == per_page


@pytest.mark.parametrize("per_page", ["1000000", "0", "-5", "7", "abc", "", "5.0", "1e3"])
def test_other_page_sizes_fall_back_to_twenty(client_of, many, per_page):
    response = client_of.get(OUTBOX, {"per_page": per_page})

    assert response.status_code == 200
    assert len(listed(response)) == 20


@pytest.mark.parametrize(
    ("page", "expected_number"),
    [("-1", 1), ("0", 1), ("abc", 1), ("", 1), ("1.5", 1), ("99", 3), ("9" * 30, 3)],
)
def test_out_of_range_page_shows_nearest(client_of, many, page, expected_number):
    response = client_of.get(OUTBOX, {"per_page": "10", "page": page})

    assert response.status_code == 200
    assert response.context["table"].page.number == expected_number


def test_pagination_keeps_filters_sort_and_page_size(client_of, town, many):
    DraftFactory(sender=town, title="Fermeture")

    response = client_of.get(
        OUTBOX, {"title": "annonce", "sort": "-title", "per_page": "10", "page": "2"}
    )

    assert listed(response) == [m.pk for m in many[::-1]][10:20]
    links = re.findall(r'href="(\?[^"]*(?:\?|&amp;)page=\d+[^"]*)"', response.text)
    assert links
    for link in links:
        assert "title=annonce" in link
        assert "sort=-title" in link
        assert "per_page=10" in link
    assert 'href="?title=annonce&amp;sort=-title&amp;per_page=10&amp;page=3"' in response.text


def test_page_size_form_keeps_filters_and_resets_page(client_of, many):
    page = client_of.get(OUTBOX, {"title": "annonce", "sort": "title", "page": "2"}).text

    form = page[page.index('class="per-page"') :]
    form = form[: form.index("</form>")]
    assert '<input type="hidden" name="title" value="annonce">' in form
    assert '<input type="hidden" name="sort" value="title">' in form
    assert 'name="page"' not in form
    assert '<option value="20" selected>' in form


def test_current_page_is_marked(client_of, many):
    page = client_of.get(OUTBOX, {"page": "2"}).text

    assert re.search(r'<a href="\?page=2" aria-current="page">', page)


# Query count


def _count_queries(client, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(OUTBOX, params)
    assert response.status_code == 200
    return len(queries), response


def test_query_count_does_not_grow_with_rows(client_of, town):
    structures = [town] * 5
    for sender in structures:
        DraftFactory(sender=sender)
    few, response = _count_queries(client_of, per_page="50")
    assert len(listed(response)) == 5
    for _ in range(45):
        sent_message(sender=town, recipients=[StructureFactory()])

    many, response = _count_queries(client_of, per_page="50")

    assert len(listed(response)) == 50
    assert few == many
    assert many <= 10


def test_filtered_query_count_is_bounded(client_of, town):
    for _ in range(5):
        DraftFactory(sender=town, title="Élagage")

    count, _ = _count_queries(
        client_of, title="elagage", sender=str(town.pk), sort="-display_end", per_page="5"
    )

    assert count <= 12
