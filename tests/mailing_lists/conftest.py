"""Fixtures of the mailing-list screen tests: a town, its suppliers, its users and lists."""

import pytest
from django.conf import settings

from mailing_lists.editing import save_mailing_list
from mailing_lists.models import MailingList
from structures.models import PartnerKind
from tests.factories import (
    MembershipFactory,
    PublicStructureFactory,
    ServiceFactory,
    StructureFactory,
    partners,
)


def make_list(owner, members, *, name="Fournisseurs voirie", kind=PartnerKind.SUPPLIERS, **fields):
    """Save a list of `members` (structures, or (structure, service) pairs) as the screens do."""
    pairs = [(m[0].pk, m[1].pk) if isinstance(m, tuple) else (m.pk, None) for m in members]
    mailing_list = MailingList(owner=owner, name=name, recipient_kind=kind, **fields)
    return save_mailing_list(mailing_list, pairs, by=None)


@pytest.fixture
def town():
    return PublicStructureFactory(
        identifier="21330063500017", designation="COMMUNE DE BORDEAUX - MAIRE"
    )


@pytest.fixture
def stech(town):
    return ServiceFactory(structure=town, code="STECH", label="Services techniques")


@pytest.fixture
def vendors(town):
    names = ["ATELIERS DUPONT SARL", "BUREAU PLUS FOURNITURES", "NETTOYAGE AQUITAINE SAS"]
    vendors = [StructureFactory(designation=name) for name in names]
    for vendor in vendors:
        partners(vendor, town)
    return vendors


@pytest.fixture
def town_user(town):
    return MembershipFactory(structure=town, user__username="mairie").user


@pytest.fixture
def town_client(client, town_user):
    """A client logged in as a user of the whole town, who chose English."""
    client.force_login(town_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client
