"""Who may do what with residents' requests (communities.platform.policies).

Roles of this sub-domain are predicates over its own tables: the building head (BuildingHead rows), the grid worker
(communities.grid), and the handler of a request (its handler column)."""

import rules

from communities.grid.policies import is_grid_worker, manages_grid
from communities.platform.policies import (
    define,
    is_active,
    is_community_staff,
    is_place_staff,
    is_superuser,
    manages_community,
)

from . import handler_kinds
from .models import ResidentRequest, building_ids_headed_by
from .signals import body_contact_user_ids, head_user_ids


@rules.predicate
def is_building_head(user) -> bool:
    return bool(building_ids_headed_by(user))


@rules.predicate
def heads_building(user, building) -> bool:
    return building is not None and building.pk in building_ids_headed_by(user)


@rules.predicate
def manages_request_place(user, request) -> bool:
    """Acts for the request's place: the staff of its community, or the grid worker of its area."""
    if request is None:
        return False
    if request.grid_id is not None and manages_grid(user, request.grid):
        return True
    return bool(manages_community(user, request.community))


@rules.predicate
def is_handler(user, request) -> bool:
    """The request's handler: the person, or the leader or contact of the body it is handed to."""
    return request is not None and request.acts_as_handler(user)


@rules.predicate
def acts_for_a_body(user) -> bool:
    """Leads a team or is a property company's contact (any registered kind of body): one query per kind."""
    if not is_active(user):
        return False
    return any(kind.bodies_acted_for(user).exists() for kind in handler_kinds.kinds())


@rules.predicate
def sees_request(user, request) -> bool:
    return request is not None and ResidentRequest.objects.visible_to(user).filter(pk=request.pk).exists()


# The queue: community, street and org-department staff (their places) and grid workers (their area).
define("resident_requests.open_queue", is_superuser | is_place_staff | is_grid_worker)
define("resident_requests.view_request", is_superuser | sees_request)
# Accept and assign a handler: who acts for the place; the handler then responds, waits, resolves or answers.
define("resident_requests.assign_request", is_superuser | manages_request_place)
define("resident_requests.handle_request", is_superuser | manages_request_place | is_handler)
# Record a request on a resident's behalf (residents without a phone or a smartphone).
define("resident_requests.record_request", is_community_staff | is_grid_worker | is_building_head)
define("resident_requests.open_building_head_page", is_building_head)


@rules.predicate
def shows_building_head_tab(user) -> bool:
    """For the tab only: the flag kept in the cache (signals), so members' pages cost no query for it."""
    return bool(is_active(user) and user.pk in head_user_ids())


define("resident_requests.show_building_head_tab", shows_building_head_tab)
# The list of the requests handed to a team or a company: their leaders and contacts.
define("resident_requests.open_handed_list", acts_for_a_body)


@rules.predicate
def shows_handed_tab(user) -> bool:
    """For the tab only, from the cached set (signals): members' pages cost no query for it."""
    return bool(is_active(user) and user.pk in body_contact_user_ids())


define("resident_requests.show_handed_tab", shows_handed_tab)
define("resident_requests.record_visit", heads_building)
# Building heads are assigned by the staff of the building's community.
define("resident_requests.assign_building_head", is_superuser | is_community_staff)
