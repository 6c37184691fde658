"""The organisation side of the demo city: districts, streets, communities, units and their pairings."""

from dataclasses import dataclass, field

from communities.models import Community, District, Pairing, Street, Unit, new_public_slug

from . import codes, words
from .loader import next_id


@dataclass(slots=True)
class Place:
    """A district, street or community as the builder keeps it: enough to wire rows, no ORM object."""

    id: int
    code: str
    name: str
    district: int = 0  # index into City.districts
    street: int = 0  # index into City.streets (communities only)
    is_rural: bool = False  # 县 / 镇 / 村 rather than 区 / 街道 / 社区
    home_prefix: str = ""  # a home address up to the building (communities only)


@dataclass(slots=True)
class UnitPlan:
    id: int
    code: str
    name: str
    kind: str
    district: int | None  # None for city-level units (市直单位)
    weight: float  # relative roster size
    communities: list = field(default_factory=list)  # paired community indexes


@dataclass
class City:
    districts: list
    streets: list
    communities: list
    units: list
    communities_by_district: list


def scale(members: int) -> dict:
    """How many of each place and unit a city with this many roster members has."""
    communities = max(4, members // 100)
    streets = max(2, communities // 20)
    return {
        "communities": communities,
        "streets": streets,
        "districts": max(1, streets // 10),
        "units": max(3, members // 200),
    }


def _spread(total: int, buckets: int) -> list[int]:
    """total items over buckets as evenly as possible, larger buckets first."""
    return [total // buckets + (1 if i < total % buckets else 0) for i in range(buckets)]


def plan_places(*, rng, sizes) -> City:
    district_names = codes.unique_names(
        rng=rng, count=sizes["districts"], preferred=words.PLACE_WORDS,
        first=words.PLACE_FIRST, second=words.PLACE_SECOND,
    )
    districts = []
    for index, base in enumerate(district_names):
        # The first district is the city centre; a fifth of the others are rural counties.
        rural = index > 0 and rng.random() < 0.2
        name = base + ("县" if rural else "区")
        districts.append(Place(id=0, code=codes.district_code(index), name=name, is_rural=rural))

    street_names = iter(codes.unique_names(
        rng=rng, count=sizes["streets"], preferred=words.PLACE_WORDS,
        first=words.PLACE_FIRST, second=words.PLACE_SECOND,
    ))
    streets = []
    for district_index, count in enumerate(_spread(sizes["streets"], len(districts))):
        district = districts[district_index]
        urban_serial, town_serial = 1, 100  # 街道 0xx, 镇 1xx as in the statistics codes
        for position in range(count):
            # Each district has at least one 街道 (its seat); counties are mostly towns.
            town = position > 0 and rng.random() < (0.7 if district.is_rural else 0.2)
            serial = town_serial if town else urban_serial
            town_serial, urban_serial = (town_serial + 1, urban_serial) if town else (town_serial, urban_serial + 1)
            streets.append(Place(
                id=0, code=f"{district.code}{serial:03d}", name=next(street_names) + ("镇" if town else "街道"),
                district=district_index, is_rural=town,
            ))
    streets.sort(key=lambda place: place.code)

    counts = _spread(sizes["communities"], len(streets))
    rural_flags = [
        [rng.random() < (0.8 if street.is_rural else 0.1) for _ in range(count)]
        for street, count in zip(streets, counts, strict=True)
    ]
    total_rural = sum(flag for flags in rural_flags for flag in flags)
    urban_bases = iter(codes.unique_names(
        rng=rng, count=sizes["communities"] - total_rural, preferred=words.PLACE_WORDS,
        first=words.PLACE_FIRST, second=words.PLACE_SECOND,
    ))
    surnames = [name for name, _ in words.SURNAMES if len(name) == 1]
    village_bases = iter(codes.unique_names(
        rng=rng, count=total_rural,
        preferred=[p + s + v for p in words.VILLAGE_PREFIXES for s in surnames for v in words.VILLAGE_SUFFIXES],
        first=words.PLACE_FIRST, second=words.VILLAGE_SUFFIXES,
    ))
    communities = []
    for street_index, (street, flags) in enumerate(zip(streets, rural_flags, strict=True)):
        district = districts[street.district]
        urban_serial, village_serial = 1, 200  # 社区 0xx–1xx, 村 2xx
        for village in flags:
            if village:
                name = next(village_bases) + "村"
                serial, village_serial = village_serial, village_serial + 1
                home_prefix = f"{district.name}{street.name}{name}"
            else:
                base = next(urban_bases)
                name = base + rng.choice(words.COMMUNITY_INFIXES) + "社区"
                serial, urban_serial = urban_serial, urban_serial + 1
                estate = f"{rng.choice(words.ROADS)}{base}{rng.choice(words.ESTATE_SUFFIXES)}"
                home_prefix = f"{district.name}{street.name}{estate}"
            communities.append(Place(
                id=0, code=f"{street.code}{serial:03d}", name=name, district=street.district, street=street_index,
                is_rural=village, home_prefix=home_prefix,
            ))
    communities.sort(key=lambda place: place.code)

    by_district = [[] for _ in districts]
    for index, community in enumerate(communities):
        by_district[community.district].append(index)
    return City(
        districts=districts, streets=streets, communities=communities, units=[], communities_by_district=by_district
    )


class _UnitNames:
    """Unique unit names by kind and scope ("市" or a district), falling back when a finite list runs out."""

    def __init__(self, *, rng, city, count):
        self.rng = rng
        self.city = city
        self.brands = iter(codes.unique_names(
            rng=rng, count=count, first=words.ENTERPRISE_BRAND_FIRST, second=words.ENTERPRISE_BRAND_SECOND,
        ))
        self.lists = {}
        self.numbered = {}

    def _prefix(self, district):
        return "市" if district is None else self.city.districts[district].name

    def _finite(self, kind, district):
        key = (kind, district)
        if key not in self.lists:
            prefix = self._prefix(district)
            templates = {
                "government": words.GOVERNMENT_TEMPLATES,
                "institution": words.INSTITUTION_TEMPLATES,
                "state": words.STATE_ENTERPRISE_TEMPLATES,
            }[kind]
            if district is None:
                # "中国银行{p}支行" needs a place name; the city-level list keeps only names that start with 市.
                templates = [template for template in templates if template.startswith("{p}")]
            names = [template.format(p=prefix) for template in templates]
            if district is not None:
                streets = [s for s in self.city.streets if s.district == district]
                if kind == "government":
                    names += [s.name + ("人民政府" if s.is_rural else "办事处") for s in streets]
                elif kind == "institution":
                    names += [s.name + "中心卫生院" for s in streets if s.is_rural]
                    names += [s.name + "中心小学" for s in streets if s.is_rural]
            self.rng.shuffle(names)
            self.lists[key] = names
        return self.lists[key]

    def next(self, kind, district) -> tuple[str, str]:
        """(name, kind): a government list that has run out yields an institution instead."""
        rng = self.rng
        if kind == "government" and self._finite("government", district):
            return self._finite("government", district).pop(), "government"
        if kind == "enterprise":
            state = self._finite("state", district)
            if state and rng.random() < 0.25:
                return state.pop(), "enterprise"
            return next(self.brands) + rng.choice(words.ENTERPRISE_INDUSTRIES), "enterprise"
        finite = self._finite("institution", district)
        if finite and rng.random() < 0.5:
            return finite.pop(), "institution"
        serial = self.numbered.get(district, 0)
        self.numbered[district] = serial + 1
        ordinal, kind_index = divmod(serial, len(words.NUMBERED_INSTITUTIONS))
        prefix = self._prefix(district)
        return f"{prefix}第{codes.chinese_number(ordinal + 1)}{words.NUMBERED_INSTITUTIONS[kind_index]}", "institution"


def _party_organisation(*, rng, name, kind) -> str:
    roll = rng.random()
    if kind == "government":
        return f"中共{name}机关委员会" if roll < 0.7 else f"中共{name}机关支部委员会"
    if kind == "institution":
        if roll < 0.4:
            return f"中共{name}委员会"
        return f"中共{name}总支部委员会" if roll < 0.7 else f"中共{name}支部委员会"
    return f"中共{name}委员会" if roll < 0.2 else f"中共{name}支部委员会"


def plan_units(*, rng, city, count):
    names = _UnitNames(rng=rng, city=city, count=count)
    serial_walk = codes.affine_walk(rng=rng, capacity=10**8)
    city_region = f"{codes.PROVINCE_CODE}0100"
    units, seen = [], set()
    for index in range(count):
        roll = rng.random()
        kind = "government" if roll < 0.3 else "institution" if roll < 0.65 else "enterprise"
        district = None if rng.random() < 0.12 else rng.randrange(len(city.districts))
        name, kind = names.next(kind, district)
        if name in seen:
            raise RuntimeError(f"unit name {name} generated twice")
        seen.add(name)
        region = city_region if district is None else city.districts[district].code
        code = codes.unit_code(kind=kind, region=region, serial=(serial_walk[0] * index + serial_walk[1]) % 10**8)
        units.append(UnitPlan(id=0, code=code, name=name, kind=kind, district=district, weight=rng.uniform(0.3, 2.5)))
    units.sort(key=lambda unit: unit.code)
    every_community = range(len(city.communities))
    for unit in units:
        # 结对共建: most units pair with one community, some with two or three, in their own district.
        wanted = 1 if rng.random() < 0.65 else 2 if rng.random() < 0.8 else 3
        pool = every_community if unit.district is None else city.communities_by_district[unit.district]
        unit.communities = rng.sample(pool, min(wanted, len(pool)))
    city.units = units


def load_places(*, rng, city, loader, reference_at):
    """Assign ids and write districts, streets, communities, units and pairings."""
    for places, model in ((city.districts, District), (city.streets, Street), (city.communities, Community)):
        first = next_id(model)
        for offset, place in enumerate(places):
            place.id = first + offset
    first_unit = next_id(Unit)
    for offset, unit in enumerate(city.units):
        unit.id = first_unit + offset

    district_rows = loader.writer(District, ["id", "code", "name"])
    for district in city.districts:
        district_rows.add((district.id, district.code, district.name))
    street_rows = loader.writer(Street, ["id", "district", "code", "name"])
    for street in city.streets:
        street_rows.add((street.id, city.districts[street.district].id, street.code, street.name))
    community_rows = loader.writer(
        Community, ["id", "street", "district", "code", "name", "address", "public_slug"]
    )
    for community in city.communities:
        street = city.streets[community.street]
        address = f"{city.districts[community.district].name}{street.name}{community.name}党群服务中心"
        # Community.district always equals its street's district (Community.save() enforces the same).
        community_rows.add((
            community.id, street.id, city.districts[street.district].id, community.code, community.name, address,
            new_public_slug(),  # random, as in production: the demo's public addresses are not derived from the seed
        ))
    unit_rows = loader.writer(Unit, ["id", "code", "name", "party_organisation", "kind", "district"])
    for unit in city.units:
        district_id = None if unit.district is None else city.districts[unit.district].id
        party = _party_organisation(rng=rng, name=unit.name, kind=unit.kind)
        unit_rows.add((unit.id, unit.code, unit.name, party, unit.kind, district_id))
    pairing_rows = loader.writer(Pairing, ["id", "unit", "community", "started_year"])
    pairing_id = next_id(Pairing)
    for unit in city.units:
        for community_index in unit.communities:
            started_year = reference_at.year - rng.randint(1, 12)  # paired one to twelve years ago
            pairing_rows.add((pairing_id, unit.id, city.communities[community_index].id, started_year))
            pairing_id += 1
    return [district_rows, street_rows, community_rows, unit_rows, pairing_rows]
