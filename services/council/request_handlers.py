"""The community's property company as the handler of a resident's request (services.requests.handler_kinds): the
company of the community's council; its contact sees the requests handed to the company and moves them on."""

from django.utils.translation import gettext_lazy as _

from services.requests.handler_kinds import HandlerKind, register

from .models import PropertyCompany

KEY = "property_company"


def _contacts(ids) -> dict[int, list[int]]:
    rows = PropertyCompany.objects.filter(pk__in=ids, contact__is_active=True).values_list("pk", "contact_id")
    return {pk: [user_id] for pk, user_id in rows}


register(HandlerKind(
    key=KEY,
    label=_("property company"),
    model=PropertyCompany,
    # A company manages a community through its council (Council.property_company).
    bodies_of_community=lambda community_id: PropertyCompany.objects.filter(
        pk__in=PropertyCompany.objects.filter(councils__community_id=community_id).values("pk")
    ),
    bodies_acted_for=lambda user: PropertyCompany.objects.filter(contact_id=user.pk, contact__is_active=True),
    contacts=_contacts,
    all_contact_user_ids=lambda: PropertyCompany.objects.filter(contact__isnull=False).values_list(
        "contact_id", flat=True
    ),
    watch=(PropertyCompany,),
))
