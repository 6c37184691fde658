"""The tallies, moved here from the registration app: their tables (created by registration 0002 and 0004) keep
their names, columns, indexes and constraints, so this migration only takes them into this app's state and moves
their content types (and so their permissions) to this app's label."""

import django.db.models.deletion
from django.db import migrations, models

MODELS = ('communitytally', 'unittally')


def move_content_types(apps, schema_editor, *, source='registration', target='rates'):
    """Relabel the content types of the moved models. Where the target already has one (created by a run that
    finished before this migration was applied), the source's is left for remove_stale_contenttypes."""
    content_types = apps.get_model('contenttypes', 'ContentType').objects.using(schema_editor.connection.alias)
    for model in MODELS:
        if not content_types.filter(app_label=target, model=model).exists():
            content_types.filter(app_label=source, model=model).update(app_label=target)


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, source='rates', target='registration')


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('communities', '0001_initial'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('registration', '0006_tallies_to_rates'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='CommunityTally',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('year', models.PositiveSmallIntegerField(verbose_name='year')),
                        ('roster', models.PositiveIntegerField(default=0, verbose_name='on roster')),
                        ('registered', models.PositiveIntegerField(default=0, verbose_name='registered')),
                        ('reported', models.PositiveIntegerField(default=0, verbose_name='reported')),
                        ('pending', models.PositiveIntegerField(default=0, verbose_name='pending confirmation')),
                        ('off_roster_reported', models.PositiveIntegerField(default=0, verbose_name='reported, not on a roster')),
                        ('superseded_in', models.PositiveSmallIntegerField(blank=True, editable=False, null=True, verbose_name='superseded in')),
                        ('community', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='tallies', to='communities.community', verbose_name='community')),
                    ],
                    options={
                        'verbose_name': 'community reporting count',
                        'verbose_name_plural': 'community reporting counts',
                        'db_table': 'registration_communitytally',
                        'indexes': [
                            models.Index(fields=['year', 'community'], name='communitytally_year_idx'),
                            models.Index(fields=['superseded_in', 'year'], name='communitytally_effect_idx'),
                        ],
                        'constraints': [
                            models.UniqueConstraint(fields=('community', 'year'), name='communitytally_unique_year'),
                            models.UniqueConstraint(condition=models.Q(('community__isnull', True)), fields=('year',), name='communitytally_unique_unassigned_year'),
                            models.CheckConstraint(condition=models.Q(('superseded_in__isnull', True), ('superseded_in__gt', models.F('year')), _connector='OR'), name='communitytally_superseded_later'),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name='UnitTally',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('year', models.PositiveSmallIntegerField(verbose_name='year')),
                        ('roster', models.PositiveIntegerField(default=0, verbose_name='on roster')),
                        ('registered', models.PositiveIntegerField(default=0, verbose_name='registered')),
                        ('reported', models.PositiveIntegerField(default=0, verbose_name='reported')),
                        ('pending', models.PositiveIntegerField(default=0, verbose_name='pending confirmation')),
                        ('off_roster_reported', models.PositiveIntegerField(default=0, verbose_name='reported, not on a roster')),
                        ('superseded_in', models.PositiveSmallIntegerField(blank=True, editable=False, null=True, verbose_name='superseded in')),
                        ('unit', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='tallies', to='communities.unit', verbose_name='unit')),
                    ],
                    options={
                        'verbose_name': 'unit reporting count',
                        'verbose_name_plural': 'unit reporting counts',
                        'db_table': 'registration_unittally',
                        'indexes': [
                            models.Index(fields=['year', 'unit'], name='unittally_year_idx'),
                            models.Index(fields=['superseded_in', 'year'], name='unittally_effect_idx'),
                        ],
                        'constraints': [
                            models.UniqueConstraint(fields=('unit', 'year'), name='unittally_unique_year'),
                            models.CheckConstraint(condition=models.Q(('superseded_in__isnull', True), ('superseded_in__gt', models.F('year')), _connector='OR'), name='unittally_superseded_later'),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
