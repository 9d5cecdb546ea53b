"""The Mailing lists tab, a list's page, its form and its deletion, through Django's test client."""

import html
import re

import pytest
from django.contrib.messages import get_messages
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mailing_lists.models import NAME_MAX_LENGTH, MailingList
from messaging.forms import recipient_key
from messaging.models import Delivery
from messaging.sending import send
from structures.models import PartnerKind
from tests.factories import (
    DraftFactory,
    MembershipFactory,
    PublicStructureFactory,
    ServiceFactory,
    StructureFactory,
    partners,
)
from tests.mailing_lists.conftest import make_list
from tests.test_pages import parse

pytestmark = pytest.mark.django_db

INDEX = reverse("mailing_lists:list-index")
CREATE = reverse("mailing_lists:list-create")
SORTABLE_COLUMNS = [
    "name",
    "owner_identifier",
    "owner_designation",
    "service_code",
    "service_label",
    "recipient_kind",
    "member_count",
]


def listed(response) -> list[int]:
    """Return the primary keys of the lists on the page, in the table's order."""
    return [row.record.pk for row in response.context["table"].page.object_list]


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def form_data(owner, *, members=(), action="save", **fields):
    """Return the POST of a complete list form owned by `owner`, holding its suppliers `members`."""
    data = {
        "name": "Fournisseurs voirie",
        "owner": owner.pk,
        "owner_service": "",
        "recipient_kind": PartnerKind.SUPPLIERS,
        "recipients": [recipient_key(m.pk) for m in members],
        "siret": "",
        "action": action,
    }
    data.update(fields)
    return data


def update_url(mailing_list):
    return reverse("mailing_lists:list-update", args=[mailing_list.pk])


def detail_url(mailing_list):
    return reverse("mailing_lists:list-detail", args=[mailing_list.pk])


def delete_url(mailing_list):
    return reverse("mailing_lists:list-delete", args=[mailing_list.pk])


def member_pairs(mailing_list):
    return set(mailing_list.members.values_list("structure_id", "service_id"))


# ---------- Tab: scope and columns ----------


def test_tab_lists_own_structure_lists_only(town_client, town, vendors):
    own = make_list(town, vendors)
    other = PublicStructureFactory()
    partners(vendors[0], other)
    foreign = make_list(other, vendors[:1], name="Liste étrangère")

    response = town_client.get(INDEX)

    assert response.status_code == 200
    assert response.context["active_tab"] == "lists"
    assert listed(response) == [own.pk]
    assert foreign.name not in text_of(response)


def test_service_user_sees_only_its_service_lists(client, town, stech, vendors):
    finances = ServiceFactory(structure=town, code="FINANCES")
    mine = make_list(town, vendors, name="A", owner_service=stech)
    make_list(town, vendors, name="B", owner_service=finances)
    make_list(town, vendors, name="C")
    client.force_login(MembershipFactory(structure=town, service=stech).user)

    response = client.get(INDEX)

    assert listed(response) == [mine.pk]


def test_row_shows_every_column(town_client, town, stech, vendors):
    make_list(town, vendors, name="Prestataires techniques", owner_service=stech)

    row = text_of(town_client.get(INDEX))

    for text in [
        "Prestataires techniques",
        "21330063500017",
        "COMMUNE DE BORDEAUX - MAIRE",
        "STECH",
        "Services techniques",
        "Suppliers",
        ">3<",
        "View",
        "Modify",
        "Delete",
    ]:
        assert text in row, text


def test_row_actions_link_to_the_list(town_client, town, vendors):
    mailing_list = make_list(town, vendors)

    page = town_client.get(INDEX).content.decode()

    for url in (detail_url(mailing_list), update_url(mailing_list), delete_url(mailing_list)):
        assert f'href="{url}"' in page


def test_tab_links_to_list_creation(town_client):
    page = town_client.get(INDEX).content.decode()

    assert f'href="{CREATE}"' in page
    assert "Create a new list" in page


def test_empty_tab_says_so(town_client):
    assert "No mailing list yet." in text_of(town_client.get(INDEX))


def test_tab_speaks_french(client, town_user):
    client.force_login(town_user)

    page = text_of(client.get(INDEX))

    for text in ["Listes de diffusion", "Créer une nouvelle liste", "Nom de la liste", "Appliquer"]:
        assert text in page, text


def test_tab_has_no_inline_code(town_client, town, vendors):
    make_list(town, vendors)

    assert parse(town_client.get(INDEX)).inline_code == []


# ---------- Tab: filters ----------


@pytest.fixture
def two_structures_user(town, vendors):
    """A user of the town and of a supplier, with lists of both kinds for both."""
    user = MembershipFactory(structure=town).user
    MembershipFactory(user=user, structure=vendors[0])
    return user


def test_owner_filter_offers_own_structures(client, two_structures_user, town, vendors):
    PublicStructureFactory()
    client.force_login(two_structures_user)

    form = client.get(INDEX).context["filter"].form

    assert set(form.fields["owner"].queryset) == {town, vendors[0]}


def test_owner_and_type_filters_combine(client, two_structures_user, town, vendors):
    suppliers = make_list(town, vendors, name="Fournisseurs")
    customer = PublicStructureFactory()
    partners(town, customer)
    town_customers = make_list(town, [customer], name="Clients", kind=PartnerKind.CUSTOMERS)
    vendor_customers = make_list(vendors[0], [town], name="Clients", kind=PartnerKind.CUSTOMERS)
    client.force_login(two_structures_user)

    by_owner = client.get(INDEX, {"owner": town.pk})
    by_kind = client.get(INDEX, {"recipient_kind": PartnerKind.CUSTOMERS})
    both = client.get(INDEX, {"owner": town.pk, "recipient_kind": PartnerKind.CUSTOMERS})

    assert sorted(listed(by_owner)) == sorted([suppliers.pk, town_customers.pk])
    assert sorted(listed(by_kind)) == sorted([town_customers.pk, vendor_customers.pk])
    assert listed(both) == [town_customers.pk]


def test_owner_filter_rejects_foreign_structure(town_client, town, vendors):
    make_list(town, vendors)
    stranger = PublicStructureFactory()

    response = town_client.get(INDEX, {"owner": stranger.pk})

    assert response.status_code == 200
    assert listed(response) == []
    assert "owner" in response.context["filter"].form.errors


def test_empty_filtered_tab_says_so(town_client, town, vendors):
    make_list(town, vendors)

    response = town_client.get(INDEX, {"recipient_kind": PartnerKind.CUSTOMERS})

    assert "No mailing list matches these filters." in text_of(response)


def test_filter_form_keeps_sort_and_page_size(town_client, town, vendors):
    make_list(town, vendors)

    page = town_client.get(INDEX, {"sort": "-name", "per_page": "5", "page": "2"}).text

    form = page[page.index('<form class="filters"') :]
    form = form[: form.index("</form>")]
    assert '<input type="hidden" name="sort" value="-name">' in form
    assert '<input type="hidden" name="per_page" value="5">' in form
    assert 'name="page"' not in form


# ---------- Tab: sorting ----------


@pytest.fixture
def sortable(town, vendors):
    """Three lists that differ on every column, so each sort gives a distinct order."""
    stech = ServiceFactory(structure=town, code="STECH", label="Services techniques")
    achats = ServiceFactory(structure=town, code="ACHATS", label="Zone achats")
    customer = PublicStructureFactory()
    partners(town, customer)
    return [
        make_list(town, vendors[:1], name="alpha", owner_service=stech),
        make_list(town, vendors, name="Bravo", owner_service=achats),
        make_list(town, [customer], name="charlie", kind=PartnerKind.CUSTOMERS),
    ]


@pytest.mark.parametrize("column", SORTABLE_COLUMNS)
@pytest.mark.parametrize("descending", [False, True])
def test_every_column_sorts_both_ways(town_client, sortable, column, descending):
    sort = f"-{column}" if descending else column

    response = town_client.get(INDEX, {"sort": sort})

    assert response.status_code == 200
    rows = listed(response)
    assert sorted(rows) == sorted(m.pk for m in sortable)
    ascending = town_client.get(INDEX, {"sort": column})
    if descending and column not in ("owner_identifier", "owner_designation"):
        assert rows != listed(ascending)


def test_name_sort_ignores_case(town_client, sortable):
    response = town_client.get(INDEX, {"sort": "name"})

    assert listed(response) == [m.pk for m in sortable]


def test_default_order_is_by_name(town_client, sortable):
    assert listed(town_client.get(INDEX)) == [m.pk for m in sortable]


def test_lists_without_service_sort_last(town_client, sortable):
    alpha, bravo, charlie = sortable

    ascending = listed(town_client.get(INDEX, {"sort": "service_code"}))
    descending = listed(town_client.get(INDEX, {"sort": "-service_code"}))

    assert ascending == [bravo.pk, alpha.pk, charlie.pk]
    assert descending == [alpha.pk, bravo.pk, charlie.pk]


def test_recipient_count_sort(town_client, sortable):
    alpha, bravo, charlie = sortable

    rows = listed(town_client.get(INDEX, {"sort": "-member_count"}))

    # Ties go by creation, in the direction of the sort.
    assert rows == [bravo.pk, charlie.pk, alpha.pk]


@pytest.mark.parametrize("sort", ["unknown", "-", "actions", "name,owner", "😀", "a" * 500])
def test_unknown_sort_is_ignored(town_client, sortable, sort):
    response = town_client.get(INDEX, {"sort": sort})

    assert response.status_code == 200
    assert len(listed(response)) == 3


def test_sort_links_keep_filters(town_client, town, vendors):
    make_list(town, vendors)

    page = town_client.get(INDEX, {"recipient_kind": "suppliers", "page": "2"}).text

    links = [html.unescape(url) for url in re.findall(r'<th[^>]*>\s*<a href="([^"]+)"', page)]
    assert len(links) == len(SORTABLE_COLUMNS)
    for url in links:
        assert "recipient_kind=suppliers" in url
        assert "page=" not in url


# ---------- Tab: pagination ----------


@pytest.fixture
def many(town, vendors):
    return [make_list(town, vendors[:1], name=f"Liste {n:02d}") for n in range(23)]


def test_default_page_size_is_twenty(town_client, many):
    response = town_client.get(INDEX)

    assert len(listed(response)) == 20
    assert "23 mailing lists" in text_of(response)


@pytest.mark.parametrize("per_page", [5, 10, 20, 50])
def test_offered_page_sizes(town_client, many, per_page):
    response = town_client.get(INDEX, {"per_page": per_page})

    assert len(listed(response)) == min(per_page, 23)


@pytest.mark.parametrize("per_page", ["7", "0", "-5", "abc", "100000", ""])
def test_other_page_sizes_fall_back_to_twenty(town_client, many, per_page):
    response = town_client.get(INDEX, {"per_page": per_page})

    assert response.status_code == 200
    assert len(listed(response)) == 20


@pytest.mark.parametrize(
    ("page", "expected_number"),
    [("0", 1), ("-1", 1), ("99", 5), ("abc", 1), ("9" * 40, 5), ("1.5", 1)],
)
def test_out_of_range_page_shows_nearest(town_client, many, page, expected_number):
    response = town_client.get(INDEX, {"page": page, "per_page": "5"})

    assert response.status_code == 200
    assert response.context["table"].page.number == expected_number


@pytest.mark.parametrize(
    "params",
    [
        {"owner": "abc"},
        {"owner": "99999999999999999999999"},
        {"owner": ["1", "2"]},
        {"recipient_kind": "everyone"},
        {"recipient_kind": "\x00"},
        {"owner": "1\x00"},
        {"sort": "\x00", "page": "\x00", "per_page": "\x00"},
    ],
)
def test_hostile_parameters_never_fail(town_client, town, vendors, params):
    make_list(town, vendors)

    response = town_client.get(INDEX, params)

    assert response.status_code == 200


def test_filters_sort_and_pagination_together(town_client, town, vendors, many):
    customer = PublicStructureFactory()
    partners(town, customer)
    make_list(town, [customer], name="Clients", kind=PartnerKind.CUSTOMERS)
    params = {"owner": town.pk, "recipient_kind": "suppliers", "sort": "-name", "per_page": "5"}

    first = town_client.get(INDEX, params)
    third = town_client.get(INDEX, {**params, "page": "3"})

    expected = [m.pk for m in sorted(many, key=lambda m: m.name, reverse=True)]
    assert listed(first) == expected[:5]
    assert listed(third) == expected[10:15]
    links = [link.url for link in third.context["pagination"]["items"] if link.url]
    assert links
    for url in links:
        assert f"owner={town.pk}" in url
        assert "recipient_kind=suppliers" in url
        assert "sort=-name" in url
        assert "per_page=5" in url


def test_page_size_form_keeps_filters_and_resets_page(town_client, many):
    response = town_client.get(INDEX, {"recipient_kind": "suppliers", "page": "2"})

    kept = dict(response.context["per_page_kept"])
    assert kept == {"recipient_kind": "suppliers"}


# ---------- Tab: query count ----------


def _count_queries(client, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(INDEX, params)
    assert response.status_code == 200
    return len(queries), response


def test_query_count_is_fixed(town_client, town, stech, vendors):
    for n in range(5):
        make_list(town, vendors, name=f"Liste {n:02d}", owner_service=stech if n % 2 else None)
    few, response = _count_queries(town_client, per_page="50")
    assert len(listed(response)) == 5
    for n in range(5, 50):
        make_list(town, vendors, name=f"Liste {n:02d}", owner_service=stech if n % 2 else None)

    many, response = _count_queries(town_client, per_page="50")

    assert len(listed(response)) == 50
    assert few == many
    # Session, user, the user's scopes, the Mailbox tab's unread count, the owner
    # filter's choices, the count of lists and the rows.
    assert many == 7


def test_filtered_query_count_is_fixed(town_client, town, vendors):
    params = {"owner": str(town.pk), "recipient_kind": "suppliers", "sort": "-member_count"}
    for n in range(5):
        make_list(town, vendors, name=f"Liste {n:02d}")
    few, response = _count_queries(town_client, per_page="50", **params)
    assert len(listed(response)) == 5
    for n in range(5, 50):
        make_list(town, vendors[: 1 + n % 3], name=f"Liste {n:02d}")

    many, response = _count_queries(town_client, per_page="50", **params)

    assert len(listed(response)) == 50
    assert few == many
    # One more than unfiltered: the owner filter loads the chosen structure.
    assert many == 8


# ---------- Detail ----------


def test_detail_shows_fields_and_recipients(town_client, town, stech, vendors, town_user):
    mailing_list = make_list(town, vendors, name="Prestataires", owner_service=stech)
    MailingList.objects.filter(pk=mailing_list.pk).update(created_by=town_user)

    response = town_client.get(detail_url(mailing_list))

    page = text_of(response)
    assert response.status_code == 200
    assert response.context["active_tab"] == "lists"
    for text in ["Prestataires", "21330063500017", "STECH", "Suppliers", "3 recipients"]:
        assert text in page, text
    for vendor in vendors:
        assert vendor.identifier in page
        assert vendor.designation in page
    assert town_user.get_full_name() in page
    assert parse(response).inline_code == []


def test_detail_names_member_services(town_client, town, vendors):
    service = ServiceFactory(structure=vendors[0], code="SERVICE_DEFAULT")
    partners(vendors[0], town, supplier_service=service)
    mailing_list = make_list(town, [(vendors[0], service)])

    page = text_of(town_client.get(detail_url(mailing_list)))

    assert "SERVICE_DEFAULT" in page


def test_detail_paginates_recipients_by_fifty(town_client, town):
    members = StructureFactory.create_batch(55)
    for member in members:
        partners(member, town)
    mailing_list = make_list(town, members)

    first = town_client.get(detail_url(mailing_list))
    second = town_client.get(detail_url(mailing_list), {"recipients_page": "2"})
    forced = town_client.get(detail_url(mailing_list), {"per_page": "1000"})

    assert len(first.context["members"].page.object_list) == 50
    assert len(second.context["members"].page.object_list) == 5
    assert len(forced.context["members"].page.object_list) == 50
    assert "55 recipients" in text_of(first)


@pytest.mark.parametrize("page", ["0", "abc", "999", "\x00"])
def test_detail_hostile_page_never_fails(town_client, town, vendors, page):
    mailing_list = make_list(town, vendors)

    response = town_client.get(detail_url(mailing_list), {"recipients_page": page})

    assert response.status_code == 200


def test_detail_query_count_does_not_grow_with_recipients(town_client, town):
    members = StructureFactory.create_batch(60)
    for member in members:
        partners(member, town)
    few = make_list(town, members[:3], name="Petite")
    large = make_list(town, members, name="Grande")

    with CaptureQueriesContext(connection) as small_queries:
        town_client.get(detail_url(few))
    with CaptureQueriesContext(connection) as large_queries:
        town_client.get(detail_url(large))

    assert len(small_queries) == len(large_queries)


# ---------- Create ----------


def test_create_page_defaults_to_public_owner_and_suppliers(town_client, town):
    response = town_client.get(CREATE)

    form = response.context["form"]
    assert response.status_code == 200
    assert form["owner"].value() == town.pk
    assert form["recipient_kind"].value() == PartnerKind.SUPPLIERS
    assert parse(response).inline_code == []
    page = response.content.decode()
    assert 'data-structure-field="owner"' in page
    assert reverse("messaging:recipient-suggestions") in page


def test_create_saves_list_and_returns_to_tab(town_client, town, vendors, town_user):
    response = town_client.post(CREATE, form_data(town, members=vendors))

    mailing_list = MailingList.objects.get()
    assert response.status_code == 302
    assert response.url == INDEX
    assert mailing_list.name == "Fournisseurs voirie"
    assert mailing_list.owner == town
    assert mailing_list.recipient_kind == PartnerKind.SUPPLIERS
    assert mailing_list.created_by == town_user
    assert mailing_list.updated_by == town_user
    assert member_pairs(mailing_list) == {(v.pk, None) for v in vendors}
    assert texts(response) == ["Mailing list “Fournisseurs voirie” created."]


def test_create_with_owner_service(town_client, town, stech, vendors):
    town_client.post(CREATE, form_data(town, members=vendors, owner_service=stech.pk))

    assert MailingList.objects.get().owner_service == stech


def test_create_requires_a_name(town_client, town, vendors):
    response = town_client.post(CREATE, form_data(town, members=vendors, name="  "))

    assert response.status_code == 200
    assert response.context["form"].errors["name"] == ["The list name is required."]
    assert not MailingList.objects.exists()


def test_create_requires_a_recipient(town_client, town):
    response = town_client.post(CREATE, form_data(town))

    assert response.status_code == 200
    assert response.context["form"].errors["recipients"] == ["Choose at least one recipient."]
    assert not MailingList.objects.exists()


def test_name_of_250_characters_is_accepted(town_client, town, vendors):
    name = "é" * NAME_MAX_LENGTH

    response = town_client.post(CREATE, form_data(town, members=vendors, name=name))

    assert response.status_code == 302
    assert MailingList.objects.get().name == name


def test_name_of_251_characters_is_rejected(town_client, town, vendors):
    name = "é" * (NAME_MAX_LENGTH + 1)

    response = town_client.post(CREATE, form_data(town, members=vendors, name=name))

    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert not MailingList.objects.exists()


def test_name_input_stops_at_250_characters(town_client):
    page = town_client.get(CREATE).content.decode()

    assert re.search(r'<input type="text" name="name"[^>]*maxlength="250"', page)


@pytest.mark.parametrize(
    "taken", ["Fournisseurs voirie", "FOURNISSEURS VOIRIE", "fournisseurs voirie"]
)
def test_duplicate_name_ignoring_case_is_error_on_name(town_client, town, vendors, taken):
    make_list(town, vendors, name="Fournisseurs Voirie")

    response = town_client.post(CREATE, form_data(town, members=vendors, name=taken))

    assert response.status_code == 200
    assert response.context["form"].errors["name"] == [
        "This structure already has a list with this name."
    ]
    assert MailingList.objects.count() == 1


def test_name_taken_concurrently_is_error_on_name(town_client, town, vendors, monkeypatch):
    def create_meanwhile(mailing_list, pairs, *, by):
        mailing_list.pk = 12345
        raise IntegrityError("UNIQUE constraint failed: mailing_list_name_unique")

    monkeypatch.setattr("mailing_lists.views.save_mailing_list", create_meanwhile)

    response = town_client.post(CREATE, form_data(town, members=vendors))

    form = response.context["form"]
    assert response.status_code == 200
    assert form.errors["name"] == ["This structure already has a list with this name."]
    assert form.instance.pk is None
    assert "Create a new list" in text_of(response)


def test_same_name_is_allowed_for_another_owner(client, town, vendors):
    other = PublicStructureFactory()
    partners(vendors[0], other)
    make_list(other, vendors[:1])
    user = MembershipFactory(structure=town).user
    MembershipFactory(user=user, structure=other)
    client.force_login(user)

    response = client.post(CREATE, form_data(town, members=vendors))

    assert response.status_code == 302
    assert MailingList.objects.filter(name="Fournisseurs voirie").count() == 2


def test_private_owner_cannot_pick_suppliers(client, town):
    vendor = StructureFactory()
    partners(vendor, town)
    user = MembershipFactory(structure=vendor).user
    client.force_login(user)
    data = form_data(vendor, members=[town], recipient_kind=PartnerKind.SUPPLIERS)

    response = client.post(CREATE, data)

    assert response.status_code == 200
    assert "recipient_kind" in response.context["form"].errors
    assert not MailingList.objects.exists()


def test_private_owner_makes_customer_list(client, town):
    vendor = StructureFactory()
    partners(vendor, town)
    user = MembershipFactory(structure=vendor).user
    client.force_login(user)

    page = client.get(CREATE)
    response = client.post(
        CREATE, form_data(vendor, members=[town], recipient_kind=PartnerKind.CUSTOMERS)
    )

    assert not page.context["form"].kind_is_shown
    assert response.status_code == 302
    assert MailingList.objects.get().recipient_kind == PartnerKind.CUSTOMERS


def test_non_partner_recipient_is_named(town_client, town, vendors):
    stranger = StructureFactory(designation="INCONNU SA")

    response = town_client.post(CREATE, form_data(town, members=[vendors[0], stranger]))

    errors = response.context["form"].errors["recipients"]
    assert response.status_code == 200
    assert len(errors) == 1
    assert stranger.identifier in errors[0]
    assert "INCONNU SA" in errors[0]
    assert vendors[0].identifier not in errors[0]
    assert not MailingList.objects.exists()
    assert len(response.context["form"].chips) == 2


def test_customer_of_a_supplier_list_is_named(town_client, town, vendors):
    customer = PublicStructureFactory(designation="HOPITAL CLIENT")
    partners(town, customer)

    response = town_client.post(CREATE, form_data(town, members=[customer]))

    assert "HOPITAL CLIENT" in response.context["form"].errors["recipients"][0]


def test_foreign_owner_is_rejected(town_client, town, vendors):
    stranger = PublicStructureFactory()
    partners(vendors[0], stranger)

    response = town_client.post(CREATE, form_data(stranger, members=vendors[:1]))

    assert "owner" in response.context["form"].errors
    assert not MailingList.objects.exists()


def test_service_user_creates_list_of_its_service(client, town, stech, vendors):
    user = MembershipFactory(structure=town, service=stech).user
    client.force_login(user)

    page = client.get(CREATE)
    response = client.post(CREATE, form_data(town, members=vendors, owner_service=stech.pk))

    form = page.context["form"]
    assert form.owner_is_fixed
    assert form.service_is_fixed
    assert form.fixed_service == stech
    assert response.status_code == 302
    assert MailingList.objects.get().owner_service == stech


@pytest.mark.parametrize("service", ["", "sibling"])
def test_service_user_cannot_create_outside_its_service(client, town, stech, vendors, service):
    sibling = ServiceFactory(structure=town, code="FINANCES")
    client.force_login(MembershipFactory(structure=town, service=stech).user)
    value = sibling.pk if service == "sibling" else ""

    response = client.post(CREATE, form_data(town, members=vendors, owner_service=value))

    assert "owner_service" in response.context["form"].errors
    assert not MailingList.objects.exists()


def test_create_page_has_cancel_back_to_tab(town_client):
    page = town_client.get(CREATE).content.decode()

    assert re.search(rf'<a class="button button--secondary" href="{INDEX}">Cancel</a>', page)
    assert 'value="save"' in page
    assert ">Create</button>" in page


# ---------- Building the recipients without JavaScript ----------


def test_typed_siret_becomes_a_chip_without_saving(town_client, town, vendors):
    data = form_data(town, members=vendors[:1], action="add", siret=vendors[1].identifier)

    response = town_client.post(CREATE, data)

    chips = response.context["form"].chips
    assert response.status_code == 200
    assert [chip.pair for chip in chips] == [(vendors[0].pk, None), (vendors[1].pk, None)]
    assert response.context["form"]["siret"].value() == ""
    assert not MailingList.objects.exists()
    assert "(2 recipients)" in text_of(response)


def test_rebuilding_shows_no_error_for_the_missing_name(town_client, town, vendors):
    data = form_data(town, action="add", name="", siret=vendors[0].identifier)

    response = town_client.post(CREATE, data)

    assert response.context["form"].errors == {}
    assert "could not be saved" not in text_of(response)


def test_typed_stranger_is_error_on_siret(town_client, town, vendors):
    stranger = StructureFactory()
    data = form_data(town, action="add", siret=stranger.identifier)

    response = town_client.post(CREATE, data)

    assert "siret" in response.context["form"].errors
    assert response.context["form"].chips == []


def test_remove_button_drops_a_chip(town_client, town, vendors):
    data = form_data(town, members=vendors, action="")
    data["remove"] = recipient_key(vendors[1].pk)

    response = town_client.post(CREATE, data)

    pairs = [chip.pair for chip in response.context["form"].chips]
    assert pairs == [(vendors[0].pk, None), (vendors[2].pk, None)]
    assert not MailingList.objects.exists()


def test_search_then_add_selection(town_client, town, vendors):
    search = form_data(town, action="search", **{"search-designation": "bureau"})

    found = town_client.post(CREATE, search)
    rows = found.context["search"]["rows"]
    added = town_client.post(CREATE, form_data(town, action="add_selected", pick=[rows[0].key]))

    assert [row.partner.partner for row in rows] == [vendors[1]]
    assert [chip.pair for chip in added.context["form"].chips] == [(vendors[1].pk, None)]
    assert 'formaction="#list-recipients"' in added.content.decode()


def test_search_lists_partners_of_the_owner_only(town_client, town, vendors):
    other = PublicStructureFactory()
    foreign = StructureFactory(designation="BUREAU ETRANGER")
    partners(foreign, other)

    found = town_client.post(
        CREATE, form_data(town, action="search", **{"search-designation": "bureau"})
    )

    assert [row.partner.partner for row in found.context["search"]["rows"]] == [vendors[1]]


# ---------- Modify ----------


def test_update_page_shows_the_list(town_client, town, vendors):
    mailing_list = make_list(town, vendors)

    response = town_client.get(update_url(mailing_list))

    form = response.context["form"]
    assert response.status_code == 200
    assert form["name"].value() == "Fournisseurs voirie"
    assert {chip.pair for chip in form.chips} == {(v.pk, None) for v in vendors}
    assert "(3 recipients)" in text_of(response)
    assert ">Save</button>" in response.content.decode()
    assert form.owner_is_fixed


def test_update_changes_name_and_recipients(town_client, town, vendors, town_user):
    mailing_list = make_list(town, vendors)

    response = town_client.post(
        update_url(mailing_list), form_data(town, members=vendors[1:], name="Voirie 2027")
    )

    mailing_list.refresh_from_db()
    assert response.status_code == 302
    assert mailing_list.name == "Voirie 2027"
    assert member_pairs(mailing_list) == {(v.pk, None) for v in vendors[1:]}
    assert mailing_list.updated_by == town_user
    assert texts(response) == ["Mailing list “Voirie 2027” saved."]


def test_update_keeps_own_name_in_another_case(town_client, town, vendors):
    mailing_list = make_list(town, vendors)

    response = town_client.post(
        update_url(mailing_list), form_data(town, members=vendors, name="FOURNISSEURS VOIRIE")
    )

    assert response.status_code == 302


def test_update_to_a_taken_name_is_error(town_client, town, vendors):
    make_list(town, vendors, name="Voirie")
    mailing_list = make_list(town, vendors, name="Autre")

    response = town_client.post(
        update_url(mailing_list), form_data(town, members=vendors, name="voirie")
    )

    assert "name" in response.context["form"].errors
    mailing_list.refresh_from_db()
    assert mailing_list.name == "Autre"


def test_update_cannot_move_list_to_another_structure(client, town, vendors):
    other = PublicStructureFactory()
    partners(vendors[0], other)
    user = MembershipFactory(structure=town).user
    MembershipFactory(user=user, structure=other)
    client.force_login(user)
    mailing_list = make_list(town, vendors[:1])

    response = client.post(update_url(mailing_list), form_data(other, members=vendors[:1]))

    mailing_list.refresh_from_db()
    assert response.status_code == 302
    assert mailing_list.owner == town


def test_update_that_fails_keeps_members(town_client, town, vendors):
    mailing_list = make_list(town, vendors)
    stranger = StructureFactory()

    response = town_client.post(update_url(mailing_list), form_data(town, members=[stranger]))

    assert response.status_code == 200
    assert member_pairs(mailing_list) == {(v.pk, None) for v in vendors}


def test_update_to_customers_names_the_suppliers(town_client, town, vendors):
    mailing_list = make_list(town, vendors)

    response = town_client.post(
        update_url(mailing_list),
        form_data(town, members=vendors, recipient_kind=PartnerKind.CUSTOMERS),
    )

    error = response.context["form"].errors["recipients"][0]
    for vendor in vendors:
        assert vendor.identifier in error


# ---------- Delete ----------


def test_delete_page_asks_for_confirmation(town_client, town, vendors):
    mailing_list = make_list(town, vendors)
    DraftFactory(sender=town).mailing_lists.add(mailing_list)

    response = town_client.get(delete_url(mailing_list))

    page = text_of(response)
    assert response.status_code == 200
    assert "Fournisseurs voirie" in page
    assert "1 draft uses this list" in page
    assert '<button type="submit" class="button button--danger">' in page
    assert MailingList.objects.filter(pk=mailing_list.pk).exists()
    assert parse(response).inline_code == []


def test_delete_removes_the_list(town_client, town, vendors):
    mailing_list = make_list(town, vendors)

    response = town_client.post(delete_url(mailing_list))

    assert response.status_code == 302
    assert response.url == INDEX
    assert not MailingList.objects.exists()
    assert texts(response) == ["Mailing list “Fournisseurs voirie” deleted."]


def test_deleting_a_list_keeps_sent_deliveries(town_client, town, vendors):
    mailing_list = make_list(town, vendors)
    message = DraftFactory(sender=town)
    message.mailing_lists.add(mailing_list)
    send(message, by=None)
    before = set(Delivery.objects.filter(message=message).values_list("recipient_id", "source"))

    town_client.post(delete_url(mailing_list))

    after = set(Delivery.objects.filter(message=message).values_list("recipient_id", "source"))
    assert before == after
    assert len(after) == 3
    assert not message.mailing_lists.exists()


def test_delete_page_counts_sent_messages(town_client, town, vendors):
    mailing_list = make_list(town, vendors)
    message = DraftFactory(sender=town)
    message.mailing_lists.add(mailing_list)
    send(message, by=None)

    page = text_of(town_client.get(delete_url(mailing_list)))

    assert "1 message was sent through this list" in page
