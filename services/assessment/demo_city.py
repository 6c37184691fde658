"""The assessment's part of the demo city (communities.demo): no rows, the year-end job makes them; its tables are
declared so that a build without --reset refuses a database that still holds assessments."""

from communities.demo.registry import demo_stage

from .models import Assessment, AssessmentRun


@demo_stage(order=450, label="年度考核（由年终任务生成，演示城市不预置）", tables=(Assessment, AssessmentRun))
def assessments(context):
    """Nothing to write: `run_job assessment_run_start --year Y` computes the drafts from the city's records."""
