"""The demo city (演示城市): a deterministic, realistic data set of any size for `manage.py seed_demo`.

build.py runs the phases; places.py, people.py and needs.py make the rows; loader.py streams them into the
database (COPY on PostgreSQL); codes.py makes collision-free ID numbers, phones and unit codes.
"""

from .build import REFERENCE_AT, DemoCityError, DemoResult, demo_city_build
from .logins import DEMO_PASSWORD, MEMBER_LOGIN, DemoLogin
from .places import scale

__all__ = [
    "DEMO_PASSWORD",
    "MEMBER_LOGIN",
    "REFERENCE_AT",
    "DemoCityError",
    "DemoLogin",
    "DemoResult",
    "demo_city_build",
    "scale",
]
