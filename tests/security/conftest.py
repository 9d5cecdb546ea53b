"""A small world of structures, users and messages shared by the security tests.

The owner structure, a public body, has two services. Its users, a supplier
that receives its messages, a stranger structure and an administrator act on
the owner's draft, sent message and mailing list. Their texts are distinctive,
so a test can tell when one of them leaks into a page.
"""

import re
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext

from mailing_lists.editing import save_mailing_list
from mailing_lists.models import MailingList
from messaging.models import Delivery, Message, MessageEvent
from messaging.sending import Recipient, set_draft_recipients
from structures.models import PartnerKind
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

# Texts of the owner's data that other actors must never receive.
DRAFT_TITLE = "Brouillon Zéphyr confidentiel"
DRAFT_BODY = "Corps du brouillon réservé à la mairie."
SENT_TITLE = "Annonce Quartz aux fournisseurs"
SENT_BODY = "Corps de l'annonce envoyée aux fournisseurs."
LIST_NAME = "Liste Onyx du service A"
OWNER_DESIGNATION = "MAIRIE DE SECRETVILLE"

ACTORS = ("anonymous", "stranger", "other_service", "owner", "recipient", "inactive", "admin")

BASE_DIR = Path(settings.BASE_DIR)
_CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


@dataclass
class World:
    """The owner's structure and data, and one user per actor (None for anonymous)."""

    owner: object
    service_a: object
    service_b: object
    vendor: object
    stranger_structure: object
    draft: Message
    sent: Message
    mailing_list: MailingList
    users: dict = field(default_factory=dict)

    def forbidden_texts(self, actor) -> list[str]:
        """Return the owner's texts that `actor` has no right to receive."""
        if actor in ("owner", "admin"):
            return []
        texts = [DRAFT_TITLE, DRAFT_BODY, LIST_NAME]
        if actor != "recipient":
            texts += [SENT_TITLE, SENT_BODY]
        if actor not in ("recipient", "other_service"):
            texts += [OWNER_DESIGNATION, self.owner.identifier]
        return texts


def build_world() -> World:
    """Create the owner, its services, users, a draft, a sent message and a mailing list."""
    owner = PublicStructureFactory(designation=OWNER_DESIGNATION)
    service_a = ServiceFactory(structure=owner, code="SERVICE_A", label="Service A")
    service_b = ServiceFactory(structure=owner, code="SERVICE_B", label="Service B")
    vendor = StructureFactory(designation="ATELIERS DUPONT SARL")
    partners(vendor, owner)
    stranger_structure = StructureFactory(designation="ENTREPRISE ETRANGERE SA")
    partners(stranger_structure, PublicStructureFactory(designation="AUTRE COMMUNE"))

    owner_user = MembershipFactory(structure=owner, user__username="owner").user
    draft = DraftFactory(
        sender=owner,
        sender_service=service_a,
        title=DRAFT_TITLE,
        body=DRAFT_BODY,
        created_by=owner_user,
    )
    set_draft_recipients(draft, [Recipient(vendor.pk)])
    sent = sent_message(
        sender=owner,
        sender_service=service_a,
        recipients=[vendor],
        title=SENT_TITLE,
        body=SENT_BODY,
        by=owner_user,
    )
    mailing_list = save_mailing_list(
        MailingList(
            name=LIST_NAME,
            owner=owner,
            owner_service=service_a,
            recipient_kind=PartnerKind.SUPPLIERS,
        ),
        [(vendor.pk, None)],
        by=owner_user,
    )
    inactive = MembershipFactory(structure=owner, user__username="inactive").user
    users = {
        "anonymous": None,
        "stranger": MembershipFactory(structure=stranger_structure).user,
        "other_service": MembershipFactory(structure=owner, service=service_b).user,
        "owner": owner_user,
        "recipient": MembershipFactory(structure=vendor).user,
        "inactive": inactive,
        "admin": UserFactory(username="administrator", is_staff=True, is_superuser=True),
    }
    return World(
        owner, service_a, service_b, vendor, stranger_structure, draft, sent, mailing_list, users
    )


@pytest.fixture
def world(db):
    return build_world()


def client_for(client, world, actor):
    """Log `client` in as `actor`; the inactive user is deactivated after logging in.

    A deactivated user keeps the session cookie of an earlier login, which is
    the case the inactive actor covers.
    """
    user = world.users[actor]
    if user is not None:
        client.force_login(user)
    if actor == "inactive":
        get_user_model().objects.filter(pk=user.pk).update(is_active=False)
    return client


def row_counts() -> dict[str, int]:
    """Return the number of rows of the tables that a request could half-write."""
    return {
        "messages": Message.objects.count(),
        "deliveries": Delivery.objects.count(),
        "events": MessageEvent.objects.count(),
        "mailing_lists": MailingList.objects.count(),
    }


def comparable_page(response) -> str:
    """Return a page's HTML without what differs between any two pages of one user.

    CSRF tokens are masked anew on each page, and the language switch
    repeats the page's own path.
    """
    page = _CSRF_TOKEN.sub('name="csrfmiddlewaretoken" value=""', response.content.decode())
    return page.replace(response.wsgi_request.path, "/PATH/")


def reverse_or_skip(name, *args):
    """Return the URL of `name`, or skip the test while that screen does not exist yet."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        pytest.skip(f"the URL {name} does not exist yet")


def french(text) -> str:
    """Return `text` as the French pages show it: its translation, or itself until translated."""
    with translation.override("fr"):
        return gettext(text)


def example_environment() -> dict[str, str]:
    """Return the variables of .env.example, the documented production environment."""
    variables = {}
    for line in (BASE_DIR / ".env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            variables[name.strip()] = value.strip()
    return variables


def production_environment(**overrides) -> dict[str, str]:
    """Return a complete production environment: .env.example with a real secret key."""
    environment = {
        "PATH": "/usr/bin:/bin",
        "HOME": "/tmp",
        "DJANGO_SETTINGS_MODULE": "chorus_messages.settings",
        **example_environment(),
        "SECRET_KEY": secrets.token_urlsafe(50),
    }
    environment.update(overrides)
    return environment


def run_manage(*arguments, environment) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
