"""The tallies moved from the registration app to the rates app without a table being touched: migrating a
database that holds tally rows at the state before the move keeps every row, and the content types follow."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from registration.rates.models import CommunityTally, UnitTally
from tests import factories

BEFORE = [("registration", "0005_member_ledger_order_idx")]
AFTER = [("registration", "0006_tallies_to_rates"), ("rates", "0001_initial")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_moving_the_tallies_keeps_every_row_and_moves_the_content_types():
    community, unit = factories.CommunityFactory(), factories.UnitFactory()
    old = migrate(BEFORE)
    try:
        old_community_tally = old.get_model("registration", "CommunityTally")
        old_unit_tally = old.get_model("registration", "UnitTally")
        old_community_tally.objects.create(
            community_id=community.pk, year=2025, roster=7, reported=5, superseded_in=2026
        )
        old_community_tally.objects.create(community_id=community.pk, year=2026, roster=8, reported=6)
        old_community_tally.objects.create(community_id=None, year=2026, roster=2)
        old_unit_tally.objects.create(unit_id=unit.pk, year=2026, roster=10, registered=9, reported=8, pending=1)
        # The content types as a database created before the move has them.
        ContentType.objects.filter(app_label="rates").delete()
        for model in ("communitytally", "unittally"):
            ContentType.objects.get_or_create(app_label="registration", model=model)
        before = set(
            old_community_tally.objects.values_list("community_id", "year", "roster", "reported", "superseded_in")
        )
    finally:
        migrate(AFTER)
        # And on to the latest migrations: later ones of registration (0007 on) were undone on the way back to 0005.
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    assert (
        set(CommunityTally.objects.values_list("community_id", "year", "roster", "reported", "superseded_in")) == before
    )
    assert len(before) == 3
    assert list(UnitTally.objects.values_list("unit_id", "year", "roster", "registered", "reported", "pending")) == [
        (unit.pk, 2026, 10, 9, 8, 1)
    ]
    labels = set(
        ContentType.objects.filter(model__in=("communitytally", "unittally")).values_list("app_label", "model")
    )
    assert labels == {("rates", "communitytally"), ("rates", "unittally")}
    assert CommunityTally._meta.db_table == "registration_communitytally"
    assert UnitTally._meta.db_table == "registration_unittally"
