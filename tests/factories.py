"""factory_boy factories for every model, with valid ID numbers and realistic values."""

import datetime
import unicodedata
from decimal import Decimal

import factory
from django.utils import timezone

from communities.models import Community, District, Pairing, StaffAssignment, Street, Unit
from registration.identity import MOBILE_SHAPE, id_check_char, protect_id_number
from registration.models import Member, Report, RosterEntry, Skill, User
from services.assessment.models import Assessment, Grade
from services.models import Claim, PostType, ServiceNeed, ServiceRecord


def valid_id_number(n: int, *, birth_on=datetime.date(1985, 6, 15), region="110101") -> str:
    """A valid GB 11643 number, unique for each n below 1000 per birth date."""
    birth_on = birth_on + datetime.timedelta(days=n // 1000)
    first17 = f"{region}{birth_on:%Y%m%d}{n % 1000:03d}"
    return first17 + id_check_char(first17)


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District

    code = factory.Sequence(lambda n: f"{110100 + n:06d}")
    name = factory.Sequence(lambda n: f"第{n}区")


class StreetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Street

    district = factory.SubFactory(DistrictFactory)
    code = factory.Sequence(lambda n: f"{110100000 + n:09d}")
    name = factory.Sequence(lambda n: f"第{n}街道")


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community

    street = factory.SubFactory(StreetFactory)
    code = factory.Sequence(lambda n: f"{110100000000 + n:012d}")
    name = factory.Sequence(lambda n: f"第{n}社区")


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    code = factory.Sequence(lambda n: f"U{n:05d}")
    name = factory.Sequence(lambda n: f"市第{n}局")
    party_organisation = factory.LazyAttribute(lambda unit: f"中共{unit.name}机关委员会")
    kind = Unit.Kind.GOVERNMENT


class PairingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pairing

    unit = factory.SubFactory(UnitFactory)
    community = factory.SubFactory(CommunityFactory)
    started_year = 2025


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.django.Password("Test2026pass")


class StaffAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffAssignment

    user = factory.SubFactory(UserFactory)
    role = StaffAssignment.Role.COMMUNITY_STAFF
    community = factory.SubFactory(CommunityFactory)


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"特长{n}")


class _ProtectedIdNumberFactory(factory.django.DjangoModelFactory):
    class Params:
        id_number = factory.Sequence(valid_id_number)
        protected = factory.LazyAttribute(lambda o: protect_id_number(o.id_number))

    id_number_encrypted = factory.LazyAttribute(lambda o: o.protected["id_number_encrypted"])
    id_number_hash = factory.LazyAttribute(lambda o: o.protected["id_number_hash"])
    id_number_mask = factory.LazyAttribute(lambda o: o.protected["id_number_mask"])


class RosterEntryFactory(_ProtectedIdNumberFactory):
    class Meta:
        model = RosterEntry

    unit = factory.SubFactory(UnitFactory)
    name = factory.Sequence(lambda n: f"张{n}")
    position = "科员"
    phone = factory.Sequence(lambda n: f"139{n:08d}")


class MemberFactory(_ProtectedIdNumberFactory):
    class Meta:
        model = Member

    user = factory.SubFactory(UserFactory)
    unit = factory.SubFactory(UnitFactory)
    name = factory.Sequence(lambda n: f"李{n}")
    gender = Member.Gender.MALE
    birth_on = datetime.date(1985, 6, 15)
    position = "科员"
    home_address = "幸福路1号"
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    privacy_notice_version = "2026-01"
    consented_at = factory.LazyFunction(timezone.now)


class ReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Report

    member = factory.SubFactory(MemberFactory)
    community = factory.SubFactory(CommunityFactory)
    letter_number = factory.Sequence(lambda n: f"2026{n:08d}")
    status = Report.Status.PENDING
    # As the services leave it: a decided report has its decision time (the rates count it from then on).
    decided_at = factory.LazyAttribute(lambda report: None if report.status == "pending" else timezone.now())


class ServiceNeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceNeed

    community = factory.SubFactory(CommunityFactory)
    title = factory.Sequence(lambda n: f"需求{n}")
    description = "为独居老人上门服务"
    post_type = PostType.HELPING_VULNERABLE
    places = 3
    starts_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=3))
    status = ServiceNeed.Status.PUBLISHED


class ClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Claim

    need = factory.SubFactory(ServiceNeedFactory)
    member = factory.SubFactory(MemberFactory)
    commitment = "按时上门服务"


class ServiceRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceRecord

    member = factory.SubFactory(MemberFactory)
    community = factory.SubFactory(CommunityFactory)
    served_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=1))
    hours = Decimal("2.0")
    description = "清理楼道杂物"


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    member = factory.SubFactory(MemberFactory)
    year = 2026
    proposed_grade = Grade.QUALIFIED
    grade = Grade.QUALIFIED


def registration_form_data(place, unit, /, **overrides) -> dict:
    """A complete, valid POST of the member registration form for a community (`place`) and unit;
    overrides change single fields, the community included."""
    community = place
    data = {
        "name": "王晓红",
        "id_number": valid_id_number(31),
        "phone": "13912345678",
        "unit_district": "city" if unit.district_id is None else str(unit.district_id),
        "unit": unit.pk,
        "position": "科员",
        "specialty": "书法",
        "service_wishes": "辅导孩子作业",
        "home_address": "幸福路12号3单元",
        "district": community.district_id,
        "street": community.street_id,
        "community": community.pk,
        "kind": Report.Kind.RESIDENCE,
        "password1": "Hongqi2026go",
        "password2": "Hongqi2026go",
        "consent": "on",
        "sensitive_consent": "on",
    }
    data.update(overrides)
    if "phone_code" not in overrides:
        # Stored for the phone as the form normalises it (NFKC: a full-width number is the ASCII one); a malformed
        # phone, which the form refuses before any code is looked at, gets none.
        phone = unicodedata.normalize("NFKC", data["phone"]).strip()
        data["phone_code"] = phone_code_for(phone, purpose="register") if MOBILE_SHAPE.match(phone) else "000000"
    return data


def phone_code_for(phone: str, *, purpose: str, code: str = "246810") -> str:
    """A live SMS code for `phone` and `purpose`, stored as communities.phone_codes stores a sent one (its keyed
    hash), without sending it: for tests whose subject is not the code itself. Returns the code."""
    from communities.phone_codes.codes import _digest
    from communities.phone_codes.models import PhoneCode

    now = timezone.now()
    PhoneCode.objects.create(
        phone=phone,
        purpose=purpose,
        code_hash=_digest(phone=phone, purpose=purpose, code=code),
        created_at=now,
        expires_at=now + datetime.timedelta(minutes=10),
    )
    return code
