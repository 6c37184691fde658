"""The organisation side of the demo city: districts, streets, communities, units, pairings, the staff logins
and one staff account per community (found by communities.demo.registry through autodiscover_modules)."""

from communities.demo import demo_stage
from communities.demo.logins import ensure_logins, load_community_staff
from communities.demo.places import load_places, plan_places, plan_units
from communities.models import Community, Pairing, Street, Unit


@demo_stage(
    order=100, label="区县、街道、社区、单位、结对", tables=(Street, Community, Unit, Pairing),
    summary=((Community, "社区/村"), (Unit, "单位")),
)
def places(context):
    """Produces "city": the planned places and units with their ids (communities.demo.places.City)."""
    city = plan_places(rng=context.rng, sizes=context.sizes)
    plan_units(rng=context.rng, city=city, count=context.sizes["units"])
    load_places(rng=context.rng, city=city, loader=context.loader, reference_at=context.reference_at)
    context.produced["city"] = city


# bench/city.py replans the places from the seed with this stage's stream to recognise a city.
PLACES_STAGE = f"{places.__module__}.{places.__qualname__}"


@demo_stage(order=200, label="演示登录与社区工作人员账号")
def staff(context):
    """Produces "staff_user_ids": the user id of each community's staff account, by community index."""
    login_users = ensure_logins(password_hash=context.password_hash, overwrite=True)
    context.produced["staff_user_ids"] = load_community_staff(
        rng=context.rng, city=context.need("city"), loader=context.loader, reference_at=context.reference_at,
        password_hash=context.password_hash, login_users=login_users,
    )
