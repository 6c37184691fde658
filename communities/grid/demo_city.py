"""The grid's part of the demo city: two to four areas per community, three to eight buildings per area, and the
grid workers (every area of the first community, the first area of each other one)."""

import datetime

from django.contrib.auth import get_user_model

from communities.demo import DEMO_PASSWORD, DemoLogin, codes
from communities.demo.loader import next_id
from communities.demo.registry import demo_logins, demo_stage

from .models import Building, Grid, GridWorker

GRIDS_PER_COMMUNITY = (2, 4)
BUILDINGS_PER_GRID = (3, 8)


@demo_stage(
    order=150, label="网格（片区）与楼栋", tables=(Grid, Building),
    summary=((Grid, "网格"), (Building, "楼栋")),
)
def grids(context):
    """Produces "buildings": {community id: [(grid id, building id), ...]} for the stages that place requests."""
    city = context.need("city")
    rng = context.rng
    grid_rows = context.loader.writer(Grid, ["id", "community", "name"])
    building_rows = context.loader.writer(Building, ["id", "grid", "name", "address", "households"])
    grid_id, building_id = next_id(Grid), next_id(Building)
    produced = {}
    for community in city.communities:
        places = produced.setdefault(community.id, [])
        for grid_number in range(1, rng.randint(*GRIDS_PER_COMMUNITY) + 1):
            grid_rows.add((grid_id, community.id, f"第{grid_number}网格"))
            for _building in range(rng.randint(*BUILDINGS_PER_GRID)):
                number = len(places) + 1
                address = f"{community.name}{number}号楼"
                building_rows.add((building_id, grid_id, f"{number}号楼", address, rng.randint(12, 96)))
                places.append((grid_id, building_id))
                building_id += 1
            grid_id += 1
    context.loader.flush()
    context.produced["buildings"] = produced


# The demo login of a grid worker: the first area of the first community (by code).
GRID_WORKER_LOGIN = "grid"


@demo_stage(
    order=210, label="网格员账号", tables=(GridWorker,), summary=((GridWorker, "网格员"),),
)
def grid_workers(context):
    """A grid worker (a user with no staff assignment, scoped to one area) for every area of the first community
    and for the first area of every other community; the first is the `grid` login. Produces "grid_workers":
    {grid id: user id}."""
    user_model = get_user_model()
    users = context.loader.writer(user_model, ["id", "username", "password", "full_name", "is_active", "date_joined"])
    workers = context.loader.writer(GridWorker, ["id", "user", "grid", "created_at"])
    names = codes.PersonNames(context.rng)
    joined = context.reference_at - datetime.timedelta(days=300)
    user_id, worker_id = next_id(user_model), next_id(GridWorker)
    produced = {}
    for index, places in enumerate(context.need("buildings").values()):
        grid_ids = list(dict.fromkeys(grid_id for grid_id, _building in places))
        for grid_id in grid_ids if index == 0 else grid_ids[:1]:
            username = GRID_WORKER_LOGIN if not produced else f"wg{grid_id}"
            users.add((user_id, username, context.password_hash, names.draw("F" if context.rng.random() < 0.6 else "M"),
                       True, joined))
            workers.add((worker_id, user_id, grid_id, joined))
            produced[grid_id] = user_id
            user_id += 1
            worker_id += 1
    context.loader.flush()
    context.produced["grid_workers"] = produced


@demo_logins(order=150)
def grid_worker_login():
    worker = GridWorker.objects.filter(user__username=GRID_WORKER_LOGIN).select_related("grid__community").first()
    if worker is None:
        description = "网格员（缺失：请运行 seed_demo --reset 重建演示数据）"
    else:
        description = f"网格员（{worker.grid.community.name}{worker.grid.name}）"
    return [DemoLogin(username=GRID_WORKER_LOGIN, password=DEMO_PASSWORD, description=description)]
