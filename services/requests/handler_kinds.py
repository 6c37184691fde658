"""The kinds of body a request may be handed to besides a person (a service team, the property company), as a
registry: each app that owns such a body registers its kind from its AppConfig.ready(), so this app never imports
those apps (the dependency keeps pointing one way, as the platform's navigation and audit registries do).

A request handed to a body stores the kind's key and the body's id (ResidentRequest.handler_kind,
handler_body_id); the kind answers the questions the requests ask of it, each as one query or a subquery."""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db.models.signals import post_delete, post_save

from communities.platform.registry import Registry


@dataclass(frozen=True)
class HandlerKind:
    key: str  # stored in ResidentRequest.handler_kind (at most 30 characters)
    label: object  # a lazy translation: "service team", "property company"
    model: type  # the body's model (with a "name" field)
    # (community id) -> a queryset of the bodies a request of that community may be handed to (with "name").
    bodies_of_community: Callable
    # (user) -> a queryset of the bodies this user acts for (a subquery: no query of its own).
    bodies_acted_for: Callable
    # (body ids) -> {body id: [user ids]}: who is told of new, reopened and overdue requests (one query).
    contacts: Callable
    # () -> a queryset of every user id acting for some body of this kind (for the tab's cached set).
    all_contact_user_ids: Callable
    # The models whose writes change who acts for a body (the tab's cached set is rebuilt on them).
    watch: tuple = ()


_kinds = Registry("handler kind of residents' request")


def register(kind: HandlerKind) -> None:
    if len(kind.key) > 30 or ":" in kind.key or kind.key == "user":
        raise ImproperlyConfigured(f"{kind.key!r} cannot name a handler kind.")
    _kinds.add(kind.key, kind)  # a key added twice is refused
    for model in kind.watch:
        uid = f"resident_requests_handler_kind_{kind.key}_{model._meta.label_lower}"
        post_save.connect(_contacts_changed, sender=model, dispatch_uid=f"{uid}_saved", weak=False)
        post_delete.connect(_contacts_changed, sender=model, dispatch_uid=f"{uid}_deleted", weak=False)


def _contacts_changed(sender, **kwargs):
    from .signals import rebuild_body_contacts

    rebuild_body_contacts()


def kinds() -> list[HandlerKind]:
    return _kinds.items()


def get(key: str) -> HandlerKind | None:
    return _kinds.get(key)


def names(pairs) -> dict[tuple[str, int], str]:
    """{(kind, body id): the body's name} for (kind, body id) pairs: one query per kind present."""
    wanted: dict[str, set] = {}
    for key, body_id in pairs:
        if key and body_id is not None:
            wanted.setdefault(key, set()).add(body_id)
    found = {}
    for key, ids in wanted.items():
        kind = _kinds.get(key)
        if kind is None:
            continue
        for body_id, name in kind.model._default_manager.filter(pk__in=ids).values_list("pk", "name"):
            found[(key, body_id)] = name
    return found


def attach_names(items) -> list:
    """Set `handler_body_name` on each request of `items` handed to a body ("" otherwise); returns them as a list."""
    items = list(items)
    found = names((item.handler_kind, item.handler_body_id) for item in items)
    for item in items:
        item.handler_body_name = found.get((item.handler_kind, item.handler_body_id), "")
    return items
