"""The recipient suggestions (JSON) and recipient search (HTML fragment) endpoints."""

import pytest
from django.urls import reverse

from messaging.forms import SEARCH_LIMIT, SUGGESTION_LIMIT
from structures.models import PartnerKind
from tests.factories import (
    MembershipFactory,
    PublicStructureFactory,
    ServiceFactory,
    StructureFactory,
    partners,
)

pytestmark = pytest.mark.django_db


def label(*parts):
    """Return a recipient label: its parts joined by en dashes."""
    return " \u2013 ".join(parts)


@pytest.fixture
def town():
    return PublicStructureFactory(identifier="21330063500017", designation="COMMUNE DE BORDEAUX")


@pytest.fixture
def vendor(town):
    vendor = StructureFactory(identifier="79141015200015", designation="ATELIERS DUPONT SARL")
    partners(vendor, town)
    return vendor


@pytest.fixture
def user_client(client, town):
    client.force_login(MembershipFactory(structure=town).user)
    return client


def suggest(client, sender, q, kind=PartnerKind.SUPPLIERS):
    url = reverse("messaging:recipient-suggestions")
    return client.get(url, {"sender": sender.pk, "kind": kind, "q": q})


def search(client, sender, kind=PartnerKind.SUPPLIERS, **criteria):
    url = reverse("messaging:recipient-search")
    return client.get(url, {"sender": sender.pk, "kind": kind, **criteria})


# ---------- Suggestions ----------


def test_suggestions_list_partner_by_prefix(user_client, town, vendor):
    response = suggest(user_client, town, "7914")

    assert response.status_code == 200
    assert response.json() == [
        {
            "id": vendor.pk,
            "service_id": None,
            "identifier": "79141015200015",
            "label": label("79141015200015", "ATELIERS DUPONT SARL"),
            "key": f"{vendor.pk}::typed",
        }
    ]


@pytest.mark.parametrize("q", ["", "7", "791", "79 1", "7.9.1"])
def test_suggestions_need_four_characters(user_client, town, vendor, q):
    assert suggest(user_client, town, q).json() == []


def test_suggestions_ignore_spaces_and_dots(user_client, town, vendor):
    response = suggest(user_client, town, "791 410.152")

    assert [item["id"] for item in response.json()] == [vendor.pk]


def test_suggestions_include_services_named_by_invoices(user_client, town, vendor):
    service = ServiceFactory(structure=vendor, code="SERVICE_DEFAULT")
    ServiceFactory(structure=vendor, code="NEVER_INVOICED")
    partners(vendor, town, supplier_service=service)

    labels = [item["label"] for item in suggest(user_client, town, "7914").json()]

    assert labels == [
        label("79141015200015", "ATELIERS DUPONT SARL"),
        label("79141015200015", "ATELIERS DUPONT SARL", "service SERVICE_DEFAULT"),
    ]


def test_suggestions_never_list_non_partners(user_client, town, vendor):
    StructureFactory(identifier="79141015200023")

    ids = [item["id"] for item in suggest(user_client, town, "7914").json()]

    assert ids == [vendor.pk]


def test_suggestions_never_list_other_kind(user_client, town, vendor):
    assert suggest(user_client, town, "7914", kind=PartnerKind.CUSTOMERS).json() == []


def test_suggestions_never_list_inactive_structures(user_client, town, vendor):
    vendor.is_active = False
    vendor.save()

    assert suggest(user_client, town, "7914").json() == []


def test_suggestions_of_private_sender_are_its_customers(client, town, vendor):
    client.force_login(MembershipFactory(structure=vendor).user)

    response = suggest(client, vendor, "2133", kind=PartnerKind.SUPPLIERS)

    assert [item["id"] for item in response.json()] == [town.pk]


def test_suggestions_for_another_users_sender_are_404(user_client, vendor):
    stranger = PublicStructureFactory()
    partners(vendor, stranger)

    response = suggest(user_client, stranger, "7914")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("sender", ["", "abc", "999999"])
def test_suggestions_for_unknown_sender_are_404(user_client, sender):
    response = user_client.get(
        reverse("messaging:recipient-suggestions"), {"sender": sender, "q": "7914"}
    )

    assert response.status_code == 404


def test_suggestions_with_invalid_kind_are_400(user_client, town):
    response = suggest(user_client, town, "7914", kind="friends")

    assert response.status_code == 400


def test_suggestions_are_capped(user_client, town):
    for number in range(SUGGESTION_LIMIT + 5):
        partners(StructureFactory(identifier=f"7777{number:010d}"), town)

    items = suggest(user_client, town, "7777").json()

    assert len(items) == SUGGESTION_LIMIT
    assert items == sorted(items, key=lambda item: item["identifier"])


def test_suggestions_query_count_is_constant(user_client, town, django_assert_num_queries):
    partners(StructureFactory(identifier="88880000000001"), town)
    with django_assert_num_queries(4) as one:
        assert len(suggest(user_client, town, "8888").json()) == 1

    for number in range(2, 21):
        partners(StructureFactory(identifier=f"8888{number:010d}"), town)
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(suggest(user_client, town, "8888").json()) == 20


def test_suggestions_need_login(client, town):
    response = suggest(client, town, "7914")

    assert response.status_code == 302


def test_service_user_gets_suggestions_for_its_structure(client, town, vendor):
    stech = ServiceFactory(structure=town, code="STECH")
    client.force_login(MembershipFactory(structure=town, service=stech).user)

    assert [item["id"] for item in suggest(client, town, "7914").json()] == [vendor.pk]


# ---------- Search ----------


def test_search_lists_partner_rows(user_client, town, vendor):
    response = search(user_client, town, designation="dupont")

    html = response.content.decode()
    assert response.status_code == 200
    assert "ATELIERS DUPONT SARL" in html
    assert f'value="{vendor.pk}::search"' in html
    assert "<html" not in html


@pytest.mark.parametrize(
    ("criteria", "found"),
    [
        ({"identifier": "791 410"}, True),
        ({"identifier": "1234"}, False),
        ({"designation": "ateliers"}, True),
        ({"designation": "bureau"}, False),
        ({"postal_code": "33"}, True),
        ({"postal_code": "75"}, False),
        ({"city": "bordeaux"}, True),
        ({"city": "lyon"}, False),
    ],
)
def test_search_criteria_filter(user_client, town, vendor, criteria, found):
    response = search(user_client, town, **criteria)

    rows = response.context["search"]["rows"]
    assert [row.partner.partner for row in rows] == ([vendor] if found else [])


@pytest.mark.parametrize("typed", ["epicurien", "Épicurien", "EPICURIEN", "épicurien"])
def test_search_ignores_accents_and_case(user_client, town, typed):
    caterer = StructureFactory(designation="TRAITEUR L'ÉPICURIEN", city="Bègles")
    partners(caterer, town)

    by_designation = search(user_client, town, designation=typed).context["search"]["rows"]
    by_city = search(user_client, town, city="begles").context["search"]["rows"]

    assert [row.partner.partner for row in by_designation] == [caterer]
    assert [row.partner.partner for row in by_city] == [caterer]


def test_search_never_lists_non_partners_or_other_kind(user_client, town, vendor):
    StructureFactory(designation="ATELIERS INCONNUS")
    customer = StructureFactory(designation="ATELIERS CLIENTS")
    partners(town, customer)

    rows = search(user_client, town, designation="ateliers").context["search"]["rows"]

    assert [row.partner.partner for row in rows] == [vendor]


def test_search_is_capped_with_a_note(user_client, town):
    for _ in range(SEARCH_LIMIT + 1):
        partners(StructureFactory(), town)

    response = search(user_client, town)

    assert len(response.context["search"]["rows"]) == SEARCH_LIMIT
    assert response.context["search"]["more"] is True
    assert "alert--warning" in response.content.decode()


def test_search_for_another_users_sender_is_404(user_client, vendor):
    stranger = PublicStructureFactory()
    partners(vendor, stranger)

    assert search(user_client, stranger).status_code == 404


def test_search_of_private_sender_lists_its_customers(client, town, vendor):
    client.force_login(MembershipFactory(structure=vendor).user)

    rows = search(client, vendor, kind=PartnerKind.SUPPLIERS).context["search"]["rows"]

    assert [row.partner.partner for row in rows] == [town]
