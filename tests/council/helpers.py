"""A council with one row of each kind, written directly (no services), for the scope walk of every route
(tests/test_scope_walk.py): outsiders must get 403 or 404 on each."""

import datetime

from django.utils import timezone

from services.council.models import (
    AgendaItem,
    Council,
    CouncilMember,
    Meeting,
    Party,
    ProgressPhoto,
    PropertyCompany,
    Resolution,
    ResolutionUpdate,
    Topic,
)
from tests import factories


def council_rows(community) -> dict:
    now = timezone.now()
    company = PropertyCompany.objects.create(name=f"物业{community.code}", contact=factories.UserFactory())
    council = Council.objects.create(community=community, property_company=company)
    member = CouncilMember.objects.create(council=council, party=Party.RESIDENTS, user=factories.UserFactory())
    topic = Topic.objects.create(council=council, title="议题", description="d", source="staff", created_at=now)
    held = Meeting.objects.create(council=council, starts_at=now - datetime.timedelta(days=1), place="议事厅",
                                  status="held", announced_at=now - datetime.timedelta(days=5), minutes="纪要")
    announced = Meeting.objects.create(council=council, starts_at=now - datetime.timedelta(hours=1), place="议事厅",
                                       announced_at=now - datetime.timedelta(days=5))
    item = AgendaItem.objects.create(meeting=held, topic=topic)
    decided = AgendaItem.objects.create(meeting=announced, topic=Topic.objects.create(
        council=council, title="议题2", description="d", source="staff", created_at=now, status="resolved"),
        outcome="passed", decided_at=now)
    resolution = Resolution.objects.create(item=decided, council=council, topic=decided.topic, text="决议",
                                           executor_company=company, due_on=now.date(), decided_at=now, status="done",
                                           percent=100, done_at=now)
    update = ResolutionUpdate.objects.create(resolution=resolution, status="done", percent=100, note="完成",
                                             created_at=now)
    photo = ProgressPhoto.objects.create(update=update, file="council/none.png", content_type="image/png", size=1)
    return {"council": council, "member": member, "topic": topic, "meeting": announced, "item": item,
            "resolution": resolution, "photo": photo}


def unchanged(rows) -> bool:
    """Nothing an outsider posted changed the council."""
    return (
        CouncilMember.objects.filter(pk=rows["member"].pk, is_active=True).exists()
        and Topic.objects.filter(pk=rows["topic"].pk, status="proposed").exists()
        and Meeting.objects.filter(pk=rows["meeting"].pk, status="announced").exists()
        and AgendaItem.objects.filter(pk=rows["item"].pk, outcome="").exists()
        and Resolution.objects.filter(pk=rows["resolution"].pk, status="done").exists()
        and Council.objects.filter(pk=rows["council"].pk, property_company=rows["council"].property_company).exists()
        and ResolutionUpdate.objects.filter(resolution=rows["resolution"]).count() == 1
    )
