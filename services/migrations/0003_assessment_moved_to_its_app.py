# The assessment's models moved into their own app (services.assessment, label "assessment"), keeping their
# tables: removed from this app's state only, after the assessment app's state holds them. No table is touched.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('services', '0002_assessment_runs'),
        ('assessment', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name='assessmentrun',
                    name='district',
                ),
                migrations.RemoveField(
                    model_name='assessmentrun',
                    name='started_by',
                ),
                migrations.RemoveField(
                    model_name='assessmentrunchunk',
                    name='run',
                ),
                migrations.DeleteModel(
                    name='Assessment',
                ),
                migrations.DeleteModel(
                    name='AssessmentRun',
                ),
                migrations.DeleteModel(
                    name='AssessmentRunChunk',
                ),
            ],
        ),
    ]
