"""The requests' part of the demo city: no rows (residents raise them on the public page); the tables are declared so
that a build without --reset refuses a database that still holds requests."""

from communities.demo.registry import demo_stage

from .models import BuildingHead, BuildingVisit, RequestEvent, ResidentRequest


@demo_stage(order=460, label="民情日记（由居民在公开页面提交，演示城市不预置）",
            tables=(ResidentRequest, RequestEvent, BuildingHead, BuildingVisit))
def resident_requests(context):
    """Nothing to write: requests start from the community's public page (/requests/c/<code>/)."""
