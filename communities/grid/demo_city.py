"""The grid's part of the demo city: two to four areas per community, three to eight buildings per area."""

from communities.demo.loader import next_id
from communities.demo.registry import demo_stage

from .models import Building, Grid

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
