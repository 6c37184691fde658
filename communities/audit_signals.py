"""Signal receivers that write the audit trail for what no service of ours does: logins, logouts, failures and
lockouts, password changes, role changes and the admin's own writes. Signals for audit, as STYLE.md allows;
each receiver writes one row with `communities.audit.audit` and nothing else.
"""

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django_otp.plugins.otp_totp.models import TOTPDevice

from .audit import Action, Outcome, Ref, audit, mask_username, ref
from .models import SecondFactorDevice, StaffAssignment

ADMIN_ACTIONS = {ADDITION: Action.ADMIN_ADD, CHANGE: Action.ADMIN_CHANGE, DELETION: Action.ADMIN_DELETE}
# Fields of the user whose change is recorded: the password, and the flags that are roles of their own.
WATCHED_USER_FIELDS = ("password", "is_staff", "is_superuser")


def _account(username):
    """The account a login attempt named, if there is one."""
    if not username:
        return None
    User = get_user_model()  # noqa: N806
    return User._default_manager.filter(**{User.USERNAME_FIELD: username}).first()


# --- Logins ----------------------------------------------------------------------------------------------------


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs):
    audit(action=Action.LOGIN, request=request, user=user)


@receiver(user_logged_out)
def audit_logout(sender, request, user, **kwargs):
    if user is None:
        return
    reason = getattr(request, "audit_logout_reason", "")
    audit(action=Action.LOGOUT, request=request, user=user, detail={"reason": reason} if reason else None)


def _refused_by_lock(request) -> bool:
    # django-axes marks a request it refused during a lock (or over the IP limit) with axes_locked_out before any
    # password was checked, and leaves axes_failures_since_start unset; the failure that locks has it set.
    return bool(getattr(request, "axes_locked_out", False)) and getattr(request, "axes_failures_since_start", 0) is None


@receiver(user_login_failed)
def audit_login_failure(sender, credentials, request=None, **kwargs):
    """The account named, if it exists, or else the attempted username masked: never the password (Django has
    already replaced it in `credentials`, and it is not read here)."""
    typed = (credentials or {}).get(get_user_model().USERNAME_FIELD) or ""
    account = _account(typed)
    audit(
        action=Action.LOGIN_FAILURE,
        request=request,
        user=account,
        username=mask_username(typed),
        outcome=Outcome.REFUSED if request is not None and _refused_by_lock(request) else Outcome.FAILURE,
    )


@receiver(user_locked_out)
def audit_lockout(sender, request, username, ip_address, **kwargs):
    """The failure that locks an account. django-axes sends the same signal for every attempt refused during the
    lock; those are login failures with the outcome "refused" already."""
    if request is not None and _refused_by_lock(request):
        return
    failures = getattr(request, "axes_failures_since_start", None)
    audit(
        action=Action.LOCKOUT,
        request=request,
        user=_account(username),
        username=mask_username(username or ""),
        outcome=Outcome.REFUSED,
        detail={"failures": failures} if failures is not None else None,
    )


# --- Passwords and the user's own role flags -------------------------------------------------------------------


@receiver(pre_save, sender=settings.AUTH_USER_MODEL)
def note_user_changes(sender, instance, raw=False, update_fields=None, **kwargs):
    """Compare the watched fields with the stored row (one query, only for saves that may change them); the
    event is written after the save, by audit_user_changes."""
    instance._audit_changes = ()
    if raw or instance._state.adding or instance.pk is None:
        return
    watched = [name for name in WATCHED_USER_FIELDS if update_fields is None or name in update_fields]
    if not watched:
        return  # e.g. the last_login update of every login
    stored = sender._base_manager.filter(pk=instance.pk).values(*watched).first()
    if stored is not None:
        instance._audit_changes = tuple(name for name in watched if stored[name] != getattr(instance, name))


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def audit_user_changes(sender, instance, created, raw=False, **kwargs):
    """A password changed (by its owner, an administrator or a command) and is_staff / is_superuser granted or
    taken away. The actor is the user of the request being served, if any; the object is the account."""
    changes, instance._audit_changes = getattr(instance, "_audit_changes", ()), ()
    if "password" in changes:
        audit(action=Action.PASSWORD_CHANGE, obj=instance, detail={"usable": instance.has_usable_password()})
    flags = {name: getattr(instance, name) for name in changes if name != "password"}
    if flags:
        audit(action=Action.ROLE_CHANGE, obj=instance, detail={"user_id": instance.pk, **flags})


# --- Staff roles ---------------------------------------------------------------------------------------------------


def _assignment_detail(assignment: StaffAssignment) -> dict:
    place = next(
        (
            f"{name}:{getattr(assignment, f'{name}_id')}"
            for name in ("community", "street", "district", "unit")
            if getattr(assignment, f"{name}_id") is not None
        ),
        "",
    )
    return {"user_id": assignment.user_id, "role": assignment.role, "place": place}


@receiver(post_save, sender=StaffAssignment)
def audit_role_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    action = Action.ROLE_GRANT if created else Action.ROLE_CHANGE
    audit(action=action, obj=instance, detail=_assignment_detail(instance))


@receiver(post_delete, sender=StaffAssignment)
def audit_role_deleted(sender, instance, **kwargs):
    audit(action=Action.ROLE_REVOKE, obj=instance, detail=_assignment_detail(instance))


# --- Second-factor devices ---------------------------------------------------------------------------------------


@receiver(post_delete, sender=TOTPDevice)
@receiver(post_delete, sender=SecondFactorDevice)  # the admin deletes through the proxy, which has its own signal
def audit_second_factor_reset(sender, instance, **kwargs):
    """A confirmed device deleted: the account must enrol again (the security administrator's reset, or the
    account itself deleted). An abandoned enrolment's unconfirmed device is no reset. Never the key."""
    if instance.confirmed:
        audit(action=Action.SECOND_FACTOR_RESET, obj=ref(TOTPDevice, instance.pk), detail={"user_id": instance.user_id})


# --- The admin's own writes --------------------------------------------------------------------------------------


@receiver(post_save, sender=LogEntry)
def audit_admin_action(sender, instance, created, raw=False, **kwargs):
    """Each add, change and delete the admin logs. The entry's object_repr and change message are not copied:
    they may hold a person's name. Deleting several objects at once is logged without post_save (bulk_create);
    communities.admin.delete_selected records those."""
    if not created or raw or instance.action_flag not in ADMIN_ACTIONS:
        return
    content_type = ContentType.objects.get_for_id(instance.content_type_id)
    audit(
        action=ADMIN_ACTIONS[instance.action_flag],
        user=instance.user,
        obj=Ref(f"{content_type.app_label}.{content_type.model}", str(instance.object_id)),
    )
