"""Signals the registration side sends for changes made by queryset updates, which send none of their own."""

from django.dispatch import Signal

# Sent with `member_ids` after members were changed in bulk (a roster upload linking the members who registered
# before their unit listed them, and moving them to that unit): whatever shows members draws them again.
members_changed_in_bulk = Signal()
