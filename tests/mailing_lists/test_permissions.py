"""Who may open each mailing-list page, for every URL and method: one table.

Another structure's list, or another service's for a user restricted to a
service, returns 404 and is left unchanged. The tab never shows it.
"""

import pytest
from django.urls import reverse

from mailing_lists.models import MailingList
from messaging.forms import recipient_key
from structures.models import PartnerKind
from tests.factories import MembershipFactory, PublicStructureFactory, ServiceFactory, partners
from tests.mailing_lists.conftest import make_list

pytestmark = pytest.mark.django_db

# (who, whose list) -> expected response to a GET, and to a POST that would change the list.
ACCESS = [
    pytest.param("anonymous", "whole", "login", "login", id="anonymous"),
    pytest.param("other_structure", "whole", 404, 404, id="other-structure"),
    pytest.param("other_structure", "stech", 404, 404, id="other-structure-service-list"),
    pytest.param("finances", "stech", 404, 404, id="other-service"),
    pytest.param("stech", "whole", 404, 404, id="service-user-on-whole-structure-list"),
    pytest.param("stech", "stech", 200, 302, id="service-user-on-own-service-list"),
    pytest.param("whole", "whole", 200, 302, id="whole-structure-user"),
    pytest.param("whole", "stech", 200, 302, id="whole-structure-user-on-service-list"),
]
PAGES = ["list-detail", "list-update", "list-delete"]


@pytest.fixture
def world(town, stech, vendors):
    """The town's users and lists, and a second structure with its own user."""
    finances = ServiceFactory(structure=town, code="FINANCES")
    other = PublicStructureFactory()
    for vendor in vendors:
        partners(vendor, other)
    return {
        "users": {
            "whole": MembershipFactory(structure=town).user,
            "stech": MembershipFactory(structure=town, service=stech).user,
            "finances": MembershipFactory(structure=town, service=finances).user,
            "other_structure": MembershipFactory(structure=other).user,
        },
        "lists": {
            "whole": make_list(town, vendors, name="Toute la mairie"),
            "stech": make_list(town, vendors, name="Services techniques", owner_service=stech),
        },
    }


def _client_for(client, world, who):
    if who != "anonymous":
        client.force_login(world["users"][who])
    return client


def _post_data(mailing_list, vendors):
    return {
        "name": "Nouveau nom",
        "owner": mailing_list.owner_id,
        "owner_service": mailing_list.owner_service_id or "",
        "recipient_kind": PartnerKind.SUPPLIERS,
        "recipients": [recipient_key(vendors[0].pk)],
        "siret": "",
        "action": "save",
    }


def _check(response, expected):
    if expected == "login":
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    else:
        assert response.status_code == expected


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(("who", "whose", "get_answer", "post_answer"), ACCESS)
def test_get_access(client, world, page, who, whose, get_answer, post_answer):
    mailing_list = world["lists"][whose]
    url = reverse(f"mailing_lists:{page}", args=[mailing_list.pk])

    response = _client_for(client, world, who).get(url)

    _check(response, get_answer)
    if get_answer == 404:
        assert mailing_list.name not in response.text


@pytest.mark.parametrize(("who", "whose", "get_answer", "post_answer"), ACCESS)
def test_update_post_access(client, world, vendors, who, whose, get_answer, post_answer):
    mailing_list = world["lists"][whose]
    url = reverse("mailing_lists:list-update", args=[mailing_list.pk])

    response = _client_for(client, world, who).post(url, _post_data(mailing_list, vendors))

    _check(response, post_answer)
    mailing_list.refresh_from_db()
    changed = mailing_list.name == "Nouveau nom"
    assert changed == (post_answer == 302)


@pytest.mark.parametrize(("who", "whose", "get_answer", "post_answer"), ACCESS)
def test_update_rebuild_access(client, world, vendors, who, whose, get_answer, post_answer):
    mailing_list = world["lists"][whose]
    url = reverse("mailing_lists:list-update", args=[mailing_list.pk])
    data = {**_post_data(mailing_list, vendors), "action": "search"}

    response = _client_for(client, world, who).post(url, data)

    _check(response, 200 if post_answer == 302 else post_answer)


@pytest.mark.parametrize(("who", "whose", "get_answer", "post_answer"), ACCESS)
def test_delete_post_access(client, world, who, whose, get_answer, post_answer):
    mailing_list = world["lists"][whose]
    url = reverse("mailing_lists:list-delete", args=[mailing_list.pk])

    response = _client_for(client, world, who).post(url)

    _check(response, post_answer)
    exists = MailingList.objects.filter(pk=mailing_list.pk).exists()
    assert exists == (post_answer != 302)


@pytest.mark.parametrize("page", PAGES)
def test_unknown_list_is_404(client, world, page):
    client.force_login(world["users"]["whole"])

    response = client.get(reverse(f"mailing_lists:{page}", args=[999999]))

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("who", "visible"),
    [
        ("whole", {"whole", "stech"}),
        ("stech", {"stech"}),
        ("finances", set()),
        ("other_structure", set()),
    ],
)
def test_tab_shows_only_usable_lists(client, world, who, visible):
    client.force_login(world["users"][who])

    response = client.get(reverse("mailing_lists:list-index"))

    shown = {row.record.pk for row in response.context["table"].page.object_list}
    assert shown == {world["lists"][name].pk for name in visible}
    for name, mailing_list in world["lists"].items():
        if name not in visible:
            assert mailing_list.name not in response.text


@pytest.mark.parametrize("url_name", ["list-index", "list-create"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_is_sent_to_login(client, url_name, method):
    response = getattr(client, method)(reverse(f"mailing_lists:{url_name}"))

    _check(response, "login")


def test_create_page_opens_for_every_attached_user(client, world):
    for user in world["users"].values():
        client.force_login(user)

        assert client.get(reverse("mailing_lists:list-create")).status_code == 200
