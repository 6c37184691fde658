"""The tallies became the models of the rates app (registration.rates, label "rates"): removed from this app's
state only; the tables stay as they are, now owned by rates 0001."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('registration', '0005_member_ledger_order_idx'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='CommunityTally'),
                migrations.DeleteModel(name='UnitTally'),
            ],
            database_operations=[],
        ),
    ]
