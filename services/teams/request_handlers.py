"""A service team as the handler of a resident's request (services.requests.handler_kinds): the team's leader sees
the requests handed to the team and moves them on; the team's members do not (the leader answers for the team, as
they do when the team claims a need)."""

from django.utils.translation import gettext_lazy as _

from services.requests.handler_kinds import HandlerKind, register

from .models import Team

KEY = "team"


def _contacts(ids) -> dict[int, list[int]]:
    rows = Team.objects.filter(pk__in=ids, leader__user__is_active=True).values_list("pk", "leader__user_id")
    return {pk: [user_id] for pk, user_id in rows}


register(HandlerKind(
    key=KEY,
    label=_("service team"),
    model=Team,
    bodies_of_community=lambda community_id: Team.objects.filter(community_id=community_id),
    bodies_acted_for=lambda user: Team.objects.filter(leader__user_id=user.pk, leader__user__is_active=True),
    contacts=_contacts,
    all_contact_user_ids=lambda: Team.objects.values_list("leader__user_id", flat=True).distinct(),
    watch=(Team,),
))
