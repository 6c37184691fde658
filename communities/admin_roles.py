"""Who may use which admin page: decided by roles (三权分立), the one rule, never by Django's per-model
permissions or groups (which the project does not use).

- system administrator: accounts (not members' or other administrators'), places and units, the job schedule,
  login lockouts;
- security administrator: roles (staff assignments), but not their own and not a superuser's;
- audit administrator: reads the audit trail, the export records and the login log, changes nothing;
- organisation department: reads the data of its scope.
A superuser may do everything: the break-glass account, not needed for daily work.
"""

from django.contrib.auth.forms import UsernameField

from .admin_search import ReferencedSearchMixin
from .models import StaffAssignment
from .platform.policies import holds
from .text import text_form_class

Role = StaffAssignment.Role


def holds_role(user, *roles) -> bool:
    """An active admin-site account (is_staff) that holds one of these roles."""
    if not (user.is_active and user.is_staff):
        return False
    return holds(*roles)(user)


class RoleAdminMixin(ReferencedSearchMixin):
    """Permissions of an admin page by role: view_roles read, change_roles add and change, delete_roles delete.
    Its changelist's search is POSTed and kept out of URLs (communities.admin_search)."""

    view_roles: frozenset = frozenset()
    change_roles: frozenset = frozenset()
    delete_roles: frozenset = frozenset()

    @staticmethod
    def _allowed(request, roles) -> bool:
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        return user.is_superuser or holds_role(user, *roles)

    def has_module_permission(self, request):
        return self._allowed(request, self.view_roles | self.change_roles | self.delete_roles)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, self.view_roles | self.change_roles | self.delete_roles)

    def has_add_permission(self, request):
        return self._allowed(request, self.change_roles)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, self.change_roles)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request, self.delete_roles)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # Every admin page is one of these: free-text columns get the one rule for typed text (communities.text).
        # Django's user forms name UsernameField for the username (NFKC only): it gets the rule as well.
        form_class = text_form_class(db_field)
        if form_class is not None and kwargs.get("form_class") in (None, UsernameField):
            kwargs["form_class"] = form_class
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class OthersAccountsOnlyMixin:
    """For rows that belong to an account (`user`): an administrator never acts on their own account's rows (no
    self-granted role, no self-reset device) nor on a superuser's; a superuser sees them all."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("user")
        if request.user.is_superuser:
            return queryset
        return queryset.exclude(user=request.user).exclude(user__is_superuser=True)
