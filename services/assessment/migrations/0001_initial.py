# The assessment's models moved from the services app into their own (label "assessment"). Their tables keep
# their names (db_table) and were made by services 0001 and 0002, so this migration only tells Django's state
# that the models now live here: on an existing database it moves nothing, on a fresh one the tables are made
# once, by the services migrations. services 0003 removes them from the services app's state.

import django.db.models.deletion
import django.utils.timezone
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('services', '0002_assessment_runs'),
        ('communities', '0010_audit_action_declared_by_apps'),
        ('registration', '0005_member_ledger_order_idx'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='AssessmentRun',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('compute', 'computing the drafts'), ('finalise', 'finalising')], default='compute', max_length=20, verbose_name='kind')),
                        ('year', models.PositiveSmallIntegerField(verbose_name='year')),
                        ('include_drafts', models.BooleanField(default=False, verbose_name='drafts finalised too')),
                        ('status', models.CharField(choices=[('running', 'running'), ('finished', 'finished'), ('failed', 'failed')], default='running', max_length=20, verbose_name='status')),
                        ('total', models.PositiveIntegerField(default=0, verbose_name='chunks')),
                        ('done', models.PositiveIntegerField(default=0, verbose_name='chunks done')),
                        ('assessed', models.PositiveIntegerField(default=0, verbose_name='assessments')),
                        ('below_line', models.JSONField(blank=True, default=list, verbose_name='organisations under the line')),
                        ('started_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='started at')),
                        ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished at')),
                        ('error', models.CharField(blank=True, max_length=500, verbose_name='error')),
                        ('district', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='communities.district', verbose_name='district')),
                        ('started_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='started by')),
                    ],
                    options={
                        'verbose_name': 'assessment run',
                        'verbose_name_plural': 'assessment runs',
                        'db_table': 'services_assessmentrun',
                    },
                ),
                migrations.CreateModel(
                    name='AssessmentRunChunk',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('start_pk', models.BigIntegerField(verbose_name='first member id')),
                        ('end_pk', models.BigIntegerField(verbose_name='member id after the last')),
                        ('done_at', models.DateTimeField(blank=True, null=True, verbose_name='done at')),
                        ('rows', models.PositiveIntegerField(default=0, verbose_name='assessments')),
                        ('unit_counts', models.JSONField(blank=True, default=dict, verbose_name='per unit')),
                        ('run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='chunks', to='assessment.assessmentrun', verbose_name='run')),
                    ],
                    options={
                        'verbose_name': 'assessment run chunk',
                        'verbose_name_plural': 'assessment run chunks',
                        'db_table': 'services_assessmentrunchunk',
                    },
                ),
                migrations.CreateModel(
                    name='Assessment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('year', models.PositiveSmallIntegerField(verbose_name='year')),
                        ('verified_hours', models.DecimalField(decimal_places=1, default=Decimal('0'), max_digits=7, verbose_name='verified hours')),
                        ('records_count', models.PositiveIntegerField(default=0, verbose_name='service records')),
                        ('claims_fulfilled', models.PositiveIntegerField(default=0, verbose_name='claims fulfilled')),
                        ('claims_abandoned', models.PositiveIntegerField(default=0, verbose_name='claims abandoned')),
                        ('points', models.DecimalField(decimal_places=1, default=Decimal('0'), max_digits=8, verbose_name='points')),
                        ('proposed_grade', models.CharField(choices=[('excellent', 'excellent'), ('qualified', 'qualified'), ('basically_qualified', 'basically qualified'), ('unqualified', 'unqualified')], max_length=30, verbose_name='proposed grade')),
                        ('grade', models.CharField(choices=[('excellent', 'excellent'), ('qualified', 'qualified'), ('basically_qualified', 'basically qualified'), ('unqualified', 'unqualified')], max_length=30, verbose_name='grade')),
                        ('remark', models.CharField(blank=True, max_length=500, verbose_name="community's remark")),
                        ('status', models.CharField(choices=[('draft', 'draft'), ('reviewed', 'reviewed'), ('final', 'final')], default='draft', max_length=20, verbose_name='status')),
                        ('computed_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='computed at')),
                        ('reviewed_at', models.DateTimeField(blank=True, null=True, verbose_name='reviewed at')),
                        ('finalised_at', models.DateTimeField(blank=True, null=True, verbose_name='finalised at')),
                        ('community', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='assessments', to='communities.community', verbose_name='community')),
                        ('member', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='assessments', to='registration.member', verbose_name='member')),
                        ('reviewed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='reviewed by')),
                        ('unit', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='assessments', to='communities.unit', verbose_name='unit')),
                    ],
                    options={
                        'verbose_name': 'annual assessment',
                        'verbose_name_plural': 'annual assessments',
                        'db_table': 'services_assessment',
                        'indexes': [models.Index(fields=['year', 'status'], name='assessment_year_status_idx')],
                        'constraints': [models.UniqueConstraint(fields=('member', 'year'), name='assessment_one_per_member_per_year')],
                    },
                ),
                migrations.AddIndex(
                    model_name='assessmentrun',
                    index=models.Index(fields=['year', 'kind', 'started_at'], name='assessmentrun_year_idx'),
                ),
                migrations.AddConstraint(
                    model_name='assessmentrun',
                    constraint=models.UniqueConstraint(condition=models.Q(('status', 'finished'), _negated=True), fields=('kind', 'year', 'district'), name='assessmentrun_one_open_per_district'),
                ),
                migrations.AddConstraint(
                    model_name='assessmentrun',
                    constraint=models.UniqueConstraint(condition=models.Q(models.Q(('status', 'finished'), _negated=True), ('district__isnull', True)), fields=('kind', 'year'), name='assessmentrun_one_open_for_city'),
                ),
                migrations.AddConstraint(
                    model_name='assessmentrunchunk',
                    constraint=models.UniqueConstraint(fields=('run', 'start_pk'), name='assessmentrunchunk_unique_range'),
                ),
            ],
        ),
    ]
