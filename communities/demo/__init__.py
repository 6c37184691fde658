"""The demo city (演示城市): a deterministic, realistic data set of any size for `manage.py seed_demo`.

The platform piece: registry.py holds the stages the apps register from their `demo_city.py` (this app's
places, units, pairings and staff logins; registration's members and reports; services' needs, claims and
records); build.py runs them in one transaction; loader.py streams their rows into the database (COPY on
PostgreSQL); codes.py and words.py are the deterministic helpers and word lists every stage may use.
"""

from .build import REFERENCE_HOUR, DemoResult, demo_city_build, reference_at
from .logins import DEMO_PASSWORD, DemoLogin
from .places import scale
from .registry import DemoCityError, DemoContext, demo_finisher, demo_logins, demo_stage, registry, stage_rng

__all__ = [
    "DEMO_PASSWORD",
    "REFERENCE_HOUR",
    "DemoCityError",
    "DemoContext",
    "DemoLogin",
    "DemoResult",
    "demo_city_build",
    "demo_finisher",
    "demo_logins",
    "demo_stage",
    "reference_at",
    "registry",
    "scale",
    "stage_rng",
]
