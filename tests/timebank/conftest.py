import pytest
from django.db import connection

from tests import factories

from .helpers import community_staff, confirmed_member


@pytest.fixture
def community(db):
    return factories.CommunityFactory()


@pytest.fixture
def member(community):
    return confirmed_member(community)


@pytest.fixture
def staff(community):
    return community_staff(community)


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
