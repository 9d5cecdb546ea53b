import pytest
from django.contrib.auth.models import AnonymousUser

from structures.access import scopes_of
from structures.models import Structure
from tests.factories import (
    MembershipFactory,
    PublicStructureFactory,
    ServiceFactory,
    StructureFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_user_acts_for_own_structures_only():
    membership = MembershipFactory()
    StructureFactory()

    assert list(Structure.objects.for_user(membership.user)) == [membership.structure]


def test_user_of_two_structures_acts_for_both():
    user = UserFactory()
    first = MembershipFactory(user=user).structure
    second = MembershipFactory(user=user, structure=PublicStructureFactory()).structure

    assert set(Structure.objects.for_user(user)) == {first, second}
    assert {scope.structure for scope in scopes_of(user)} == {first, second}


def test_service_membership_gives_a_service_scope():
    service = ServiceFactory(code="STECH")
    membership = MembershipFactory(structure=service.structure, service=service)

    [scope] = scopes_of(membership.user)

    assert scope.structure == service.structure
    assert scope.service == service
    assert not scope.is_whole_structure


def test_whole_structure_membership_hides_service_memberships():
    service = ServiceFactory()
    user = UserFactory()
    MembershipFactory(user=user, structure=service.structure, service=service)
    MembershipFactory(user=user, structure=service.structure)

    [scope] = scopes_of(user)

    assert scope.is_whole_structure


def test_anonymous_and_inactive_users_act_for_nothing():
    membership = MembershipFactory(user__is_active=False)

    assert scopes_of(membership.user) == []
    assert scopes_of(AnonymousUser()) == []
    assert not Structure.objects.for_user(AnonymousUser()).exists()


def test_scopes_take_one_query(django_assert_num_queries):
    user = UserFactory()
    for _ in range(3):
        MembershipFactory(user=user)

    with django_assert_num_queries(1):
        scopes_of(user)


def test_membership_service_must_belong_to_structure():
    from django.core.exceptions import ValidationError

    membership = MembershipFactory.build(
        user=UserFactory(), structure=StructureFactory(), service=ServiceFactory()
    )

    with pytest.raises(ValidationError) as error:
        membership.full_clean()
    assert "service" in error.value.message_dict
