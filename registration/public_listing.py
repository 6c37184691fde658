"""Being named on the public board (issue 19, finding 9): "who serves here" names a member (name and unit) only
after a consent of its own, separate from the registration's (PIPL arts. 25 and 29: making personal data public
needs a separate consent). The member gives or withdraws it on their own page at any time; the time it was given
is kept on the member (`Member.public_listing_consented_at`), and each change is in the audit trail. Members
registered before it existed have not consented (the migration leaves the field empty)."""

from django import forms
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities import public_pages
from communities.audit import audit

from .audit_actions import Action
from .models import Member, Report


class PublicListingForm(forms.Form):
    consent = forms.TypedChoiceField(
        label=_("Name me on the public board"),
        choices=[("1", _("Yes, show my name and unit")), ("0", _("No, do not show me"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )


def public_listing_set(*, member: Member, consent: bool) -> Member:
    """Give (consent) or withdraw the consent to be named on the public board. Giving it again keeps its first
    time; the public pages of the member's communities are drawn again at once."""
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member.pk)
        if consent == (member.public_listing_consented_at is not None):
            return member
        member.public_listing_consented_at = timezone.now() if consent else None
        member.save(update_fields=["public_listing_consented_at"])
        audit(
            action=Action.PUBLIC_LISTING_CONSENT if consent else Action.PUBLIC_LISTING_WITHDRAW,
            user=member.user,
            obj=member,
        )
        communities = Report.objects.filter(member=member).values_list("community_id", flat=True).distinct()
        public_pages.bump(*(public_pages.community_scope(pk) for pk in communities))
    return member
