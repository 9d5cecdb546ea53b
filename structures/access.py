"""Scopes of users: the structures, or services, that each user is attached to and acts for."""

from dataclasses import dataclass

from django.db.models import Q

from structures.models import Membership, Service, Structure


@dataclass(frozen=True)
class Scope:
    """A structure a user acts for, as a whole (service None) or through one service."""

    structure: Structure
    service: Service | None = None

    @property
    def is_whole_structure(self) -> bool:
        return self.service is None


def scopes_of(user) -> list[Scope]:
    """Return the structures and services `user` may act for, in one query.

    An attachment to a whole structure makes attachments to its services
    redundant, so the structure then appears once, without a service.
    The result is cached on the user object, which lives for one request;
    call `forget_scopes(user)` after changing its memberships.
    """
    if not user.is_authenticated or not user.is_active:
        return []
    cached = getattr(user, _CACHE_ATTRIBUTE, None)
    if cached is None:
        cached = _load_scopes(user)
        setattr(user, _CACHE_ATTRIBUTE, cached)
    return list(cached)


def forget_scopes(user) -> None:
    """Drop the scopes cached on `user`, so that the next call reads memberships again."""
    if hasattr(user, _CACHE_ATTRIBUTE):
        delattr(user, _CACHE_ATTRIBUTE)


_CACHE_ATTRIBUTE = "_chorus_scopes"


def _load_scopes(user) -> list[Scope]:
    memberships = Membership.objects.filter(user=user).select_related("structure", "service")
    whole = {m.structure_id for m in memberships if m.service_id is None}
    scopes = [
        Scope(m.structure, m.service)
        for m in memberships
        if m.service_id is None or m.structure_id not in whole
    ]
    return sorted(
        scopes, key=lambda s: (s.structure.designation, s.service.code if s.service else "")
    )


def scoped_condition(user, *, structure_field: str, service_field: str) -> Q:
    """Return a filter on objects owned by `user`'s structures or, for a service scope, its service.

    An attachment to a whole structure covers all of that structure's
    objects. An attachment to a service covers only the objects whose
    `service_field` is that service. A user without scope gets a filter
    that matches nothing.
    """
    condition = Q(pk__in=[])
    for scope in scopes_of(user):
        if scope.is_whole_structure:
            condition |= Q(**{structure_field: scope.structure})
        else:
            condition |= Q(**{structure_field: scope.structure, service_field: scope.service})
    return condition
