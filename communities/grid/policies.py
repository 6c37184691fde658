"""The grid worker's role (communities.platform.policies): a predicate over this app's own table."""

import rules

from communities.platform.policies import define, manages_community

from .models import grid_ids_of


@rules.predicate
def is_grid_worker(user) -> bool:
    return bool(grid_ids_of(user))


@rules.predicate
def works_grid(user, grid) -> bool:
    """Works this area as its grid worker."""
    return grid is not None and grid.pk in grid_ids_of(user)


@rules.predicate
def manages_grid(user, grid) -> bool:
    """Acts for this area: its grid worker or the staff of its community."""
    return grid is not None and (works_grid(user, grid) or manages_community(user, grid.community))


define("grid.is_grid_worker", is_grid_worker)
define("grid.manage_grid", manages_grid)
