"""Writes of the account flows (a forgotten password, a change of phone); each one transaction."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from communities.audit import audit, mask_username

from .audit_actions import Action
from .models import Member, User

PHONE_TAKEN = _("This number cannot be used. Choose another one, or ask your community's staff for help.")


def member_user_for_phone(*, phone: str) -> User | None:
    """The active account of the member registered with this phone (not withdrawn), or None: one query either way."""
    member = (
        Member.objects.filter(phone=phone, withdrawn_at__isnull=True, user__is_active=True)
        .select_related("user")
        .first()
    )
    return member.user if member is not None else None


def password_reset(*, user: User, password: str) -> None:
    """Set a new password after the phone was proven (the audit trail's password-change event is written by
    communities.audit_signals on the save; this records how)."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit(action=Action.PASSWORD_RESET, user=user, obj=user)


def member_phone_change(*, member: Member, phone: str) -> Member:
    """The member's phone, and their login name when it was the old phone, become `phone` (proven by a code).
    Raises ValidationError when another account holds the number (without saying whose)."""
    old = member.phone
    try:
        with transaction.atomic():
            member.phone = phone
            member.save(update_fields=["phone"])
            user = member.user
            if user.username == old:
                user.username = phone
                user.save(update_fields=["username"])
            audit(
                action=Action.PHONE_CHANGE,
                user=user,
                obj=member,
                detail={"from": mask_username(old), "to": mask_username(phone)},
            )
    except IntegrityError:
        member.phone = old
        raise ValidationError({"phone": PHONE_TAKEN}, code="taken") from None
    return member
