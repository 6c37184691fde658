"""The time bank (时间银行) and the 爱心超市 on a double-entry ledger (issue 23, DESIGN flow 11).

Amounts are integers in tenths of an hour (`tenths`): service hours have one decimal, and integer sums are exact
on every database (SQLite would add decimals as floating point). Two values never mix: an account holds either
honour hours (`honour`, earned by verified service, never spent) or time credits (`credit`, spendable), and a
transfer moves one of them between two accounts of that value.

The ledger is append-only: a Transfer and its two Legs are never edited or deleted (the model refuses, and a
database trigger refuses an UPDATE); a mistake is undone by a reversal transfer (`reverses`, at most once).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.models import Community, Unit
from registration.models import Member

MAX_TENTHS = 10**12  # far beyond a province's lifetime of service; keeps every sum inside a bigint


def tenths_text(tenths: int) -> str:
    """12 → "1.2", -5 → "-0.5", 30 → "3"."""
    sign = "-" if tenths < 0 else ""
    whole, tenth = divmod(abs(tenths), 10)
    return f"{sign}{whole}.{tenth}" if tenth else f"{sign}{whole}"


class Value(models.TextChoices):
    HONOUR = "honour", _("honour hours")
    CREDIT = "credit", _("time credits")


class FamilyMember(models.Model):
    """A relative a member looks after (an elderly parent, a child): has a credit account of its own that the
    member gives credits to and spends from on services for that relative."""

    member = models.ForeignKey(Member, models.PROTECT, related_name="family", verbose_name=_("member"))
    name = models.CharField(_("name"), max_length=50)
    relation = models.CharField(_("relation"), max_length=20)
    created_at = models.DateTimeField(_("added at"), default=timezone.now)

    class Meta:
        verbose_name = _("family member")
        verbose_name_plural = _("family members")
        constraints = [models.UniqueConstraint(fields=["member", "name"], name="familymember_unique_name")]

    def __str__(self):
        return f"{self.name} ({self.relation})"


class Account(models.Model):
    """An account of one value. Who owns it: a member, a member's family member, an organisation (an enterprise or
    donor, `communities.Unit`), or a community (its fund, its 爱心超市, its bank). The bank is where a community's
    credits and honour hours come from (earned service) and go back to (spent on service): its balance is minus what
    is out; it alone has no floor (`min_balance` NULL)."""

    class Kind(models.TextChoices):
        MEMBER = "member", _("member")
        FAMILY = "family", _("family member")
        ORGANISATION = "organisation", _("organisation")
        FUND = "fund", _("community fund")
        MARKET = "market", _("爱心超市")
        BANK = "bank", _("community time bank")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    value = models.CharField(_("value"), max_length=10, choices=Value.choices, default=Value.CREDIT)
    member = models.ForeignKey(Member, models.PROTECT, null=True, blank=True, related_name="+")
    family = models.ForeignKey(FamilyMember, models.PROTECT, null=True, blank=True, related_name="+")
    organisation = models.ForeignKey(Unit, models.PROTECT, null=True, blank=True, related_name="+")
    community = models.ForeignKey(Community, models.PROTECT, null=True, blank=True, related_name="+")
    balance = models.BigIntegerField(_("balance (tenths)"), default=0)
    # The lowest balance allowed (tenths); NULL: no floor (the bank, which issues).
    min_balance = models.BigIntegerField(_("lowest balance allowed (tenths)"), null=True, blank=True, default=0)
    created_at = models.DateTimeField(_("opened at"), default=timezone.now)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(min_balance__isnull=True) | Q(balance__gte=F("min_balance")),
                name="account_balance_within_limit",
            ),
            models.CheckConstraint(
                condition=Q(kind="bank", min_balance__isnull=True) | Q(min_balance__isnull=False, min_balance__lte=0)
                & ~Q(kind="bank"),
                name="account_only_bank_without_floor",
            ),
            # Honour hours are held by members and issued by the bank only: nobody else can receive them.
            models.CheckConstraint(
                condition=Q(value="credit") | Q(value="honour", kind__in=["member", "bank"]),
                name="account_honour_only_member_or_bank",
            ),
            models.CheckConstraint(
                condition=Q(kind="member", member__isnull=False, family__isnull=True, organisation__isnull=True,
                            community__isnull=True)
                | Q(kind="family", family__isnull=False, member__isnull=True, organisation__isnull=True,
                    community__isnull=True)
                | Q(kind="organisation", organisation__isnull=False, member__isnull=True, family__isnull=True,
                    community__isnull=True)
                | Q(kind__in=["fund", "market", "bank"], community__isnull=False, member__isnull=True,
                    family__isnull=True, organisation__isnull=True),
                name="account_owner_matches_kind",
            ),
            models.UniqueConstraint(fields=["member", "value"], condition=Q(member__isnull=False),
                                    name="account_one_per_member_value"),
            models.UniqueConstraint(fields=["family"], condition=Q(family__isnull=False),
                                    name="account_one_per_family_member"),
            models.UniqueConstraint(fields=["organisation"], condition=Q(organisation__isnull=False),
                                    name="account_one_per_organisation"),
            models.UniqueConstraint(fields=["community", "kind", "value"], condition=Q(community__isnull=False),
                                    name="account_one_per_community_kind_value"),
        ]

    def __str__(self):
        return f"{self.kind}:{self.value}#{self.pk}"

    @property
    def balance_text(self) -> str:
        return tenths_text(self.balance)


class TransferQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Transfers are never edited: post a reversal.")

    def delete(self):
        raise TypeError("Transfers are never deleted: post a reversal.")


class Transfer(models.Model):
    """One movement of one value from an account to another, with who, why and its source; its two Legs (minus on
    the account it leaves, plus on the one it reaches) sum to zero."""

    class Kind(models.TextChoices):
        EARN = "earn", _("earned by verified service")
        HONOUR = "honour", _("honour hours of verified service")
        GIFT = "gift", _("gift to a family member")
        SPEND = "spend", _("spent on a service")
        REDEEM = "redeem", _("exchanged for goods")
        DEPOSIT = "deposit", _("organisation's deposit")
        DONATE = "donate", _("donated to the community fund")
        FUND_PAYMENT = "fund_payment", _("community fund pays for a resident")
        REVERSAL = "reversal", _("reversal")

    class Source(models.TextChoices):
        RECORD = "record", _("service record")
        ACTIVITY = "activity", _("activity")
        REDEMPTION = "redemption", _("redemption")
        GIFT = "gift", _("gift")
        DONATION = "donation", _("donation")
        REQUEST = "request", _("service request")
        FUND_PAYMENT = "fund_payment", _("fund payment")
        TRANSFER = "transfer", _("transfer")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    value = models.CharField(_("value"), max_length=10, choices=Value.choices)
    tenths = models.BigIntegerField(_("amount (tenths)"))
    # No index of their own on the accounts: a balance's movements are its legs (leg_account_transfer_idx), and
    # every index is paid a million times a year by the crediting job.
    from_account = models.ForeignKey(Account, models.PROTECT, related_name="+", verbose_name=_("from"),
                                     db_index=False)
    to_account = models.ForeignKey(Account, models.PROTECT, related_name="+", verbose_name=_("to"), db_index=False)
    # The community whose books it belongs to (scope of staff pages, the monthly statement); NULL for none.
    # Indexed with the time (transfer_community_at_idx).
    community = models.ForeignKey(Community, models.PROTECT, null=True, blank=True, related_name="+",
                                  db_index=False)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    source_type = models.CharField(_("source"), max_length=20, choices=Source.choices)
    source_id = models.BigIntegerField(_("source id"), null=True, blank=True)
    reverses = models.OneToOneField(
        "self", models.PROTECT, null=True, blank=True, related_name="reversed_by", verbose_name=_("reverses")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("by"),
        db_index=False,
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    objects = TransferQuerySet.as_manager()

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        constraints = [
            models.CheckConstraint(condition=Q(tenths__gt=0, tenths__lte=MAX_TENTHS), name="transfer_amount_positive"),
            models.CheckConstraint(condition=~Q(from_account=F("to_account")), name="transfer_two_accounts"),
            # Honour hours move only when service is verified (and are never spent, given or reversed).
            models.CheckConstraint(
                condition=Q(value="credit") & ~Q(kind="honour") | Q(value="honour", kind="honour"),
                name="transfer_honour_never_spent",
            ),
            models.CheckConstraint(
                condition=Q(kind="reversal", reverses__isnull=False) | ~Q(kind="reversal") & Q(reverses__isnull=True),
                name="transfer_reversal_names_original",
            ),
            # The unique source key: a record earns its credits once and its honour hours once; a redemption, a
            # request and a fund payment are paid once.
            models.UniqueConstraint(
                fields=["kind", "source_type", "source_id"],
                condition=Q(kind__in=["earn", "honour", "redeem", "spend", "fund_payment"]),
                name="transfer_once_per_source",
            ),
        ]
        # Lookups by source go through transfer_once_per_source.
        indexes = [models.Index(fields=["community", "created_at"], name="transfer_community_at_idx")]

    def __str__(self):
        return f"{self.kind} {tenths_text(self.tenths)} #{self.pk}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise TypeError("Transfers are never edited: post a reversal.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Transfers are never deleted: post a reversal.")

    @property
    def amount_text(self) -> str:
        return tenths_text(self.tenths)


class Leg(models.Model):
    """One side of a transfer on one account: minus where it leaves, plus where it arrives."""

    # Indexed by leg_one_per_account (transfer first) and leg_account_transfer_idx (account first).
    transfer = models.ForeignKey(Transfer, models.PROTECT, related_name="legs", db_index=False)
    account = models.ForeignKey(Account, models.PROTECT, related_name="legs", db_index=False)
    tenths = models.BigIntegerField(_("amount (tenths)"))

    objects = TransferQuerySet.as_manager()

    class Meta:
        verbose_name = _("leg")
        verbose_name_plural = _("legs")
        constraints = [
            models.CheckConstraint(condition=~Q(tenths=0), name="leg_not_zero"),
            models.UniqueConstraint(fields=["transfer", "account"], name="leg_one_per_account"),
        ]
        # A member's statement: the account's legs, newest first.
        indexes = [models.Index(fields=["account", "-transfer"], name="leg_account_transfer_idx")]

    def __str__(self):
        return f"{self.account_id} {tenths_text(self.tenths)}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise TypeError("Legs are never edited.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Legs are never deleted.")


class ServiceRequest(models.Model):
    """A member spends credits on a service for themself or a family member: a request to the community, paid when
    made (to the bank), matched like a need (staff turn it into a need), refunded by a reversal when declined or
    withdrawn."""

    class Status(models.TextChoices):
        OPEN = "open", _("waiting for the community")
        ACCEPTED = "accepted", _("accepted, turned into a need")
        DECLINED = "declined", _("declined, credits returned")
        WITHDRAWN = "withdrawn", _("withdrawn, credits returned")

    member = models.ForeignKey(Member, models.PROTECT, related_name="+", verbose_name=_("member"))
    family = models.ForeignKey(FamilyMember, models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("for family member"))
    community = models.ForeignKey(Community, models.PROTECT, related_name="+", verbose_name=_("community"))
    title = models.CharField(_("service wanted"), max_length=100)
    description = models.TextField(_("details"), max_length=1000, blank=True)
    tenths = models.BigIntegerField(_("credits (tenths)"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    need = models.ForeignKey("services.ServiceNeed", models.PROTECT, null=True, blank=True, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("asked at"), default=timezone.now)

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        constraints = [models.CheckConstraint(condition=Q(tenths__gt=0), name="servicerequest_amount_positive")]

    def __str__(self):
        return self.title


class FundPayment(models.Model):
    """The community fund pays for a resident in need (a student's studies, an elderly person's care): asked by one
    staff member, approved by a second one."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for a second approval")
        APPROVED = "approved", _("approved and paid")
        REJECTED = "rejected", _("rejected")

    community = models.ForeignKey(Community, models.PROTECT, related_name="+", verbose_name=_("community"))
    beneficiary = models.CharField(_("resident"), max_length=50)
    purpose = models.CharField(_("purpose"), max_length=200)
    tenths = models.BigIntegerField(_("credits (tenths)"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("asked at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("fund payment")
        verbose_name_plural = _("fund payments")
        constraints = [
            models.CheckConstraint(condition=Q(tenths__gt=0), name="fundpayment_amount_positive"),
            # The four-eyes rule in the database: whoever asked cannot approve.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
                name="fundpayment_second_person",
            ),
        ]

    def __str__(self):
        return f"{self.beneficiary} {tenths_text(self.tenths)}"


class Goods(models.Model):
    """An article of a community's 爱心超市: a price in credits and the stock on the shelf."""

    community = models.ForeignKey(Community, models.PROTECT, related_name="+", verbose_name=_("community"))
    name = models.CharField(_("article"), max_length=50)
    price = models.BigIntegerField(_("price (tenths of a credit)"))
    stock = models.IntegerField(_("in stock"), default=0)
    is_active = models.BooleanField(_("on sale"), default=True)
    created_at = models.DateTimeField(_("added at"), default=timezone.now)

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("goods")
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="goods_stock_not_negative"),
            models.CheckConstraint(condition=Q(price__gt=0), name="goods_price_positive"),
            models.UniqueConstraint(fields=["community", "name"], name="goods_unique_name"),
        ]

    def __str__(self):
        return self.name

    @property
    def price_text(self) -> str:
        return tenths_text(self.price)


class Redemption(models.Model):
    """A member exchanges credits for goods at the counter: staff scan the member's code and enter the goods
    (pending), the member confirms on their phone (paid, stock out). Expires unconfirmed after a few minutes."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for the member to confirm")
        CONFIRMED = "confirmed", _("handed out")
        CANCELLED = "cancelled", _("cancelled")
        REVERSED = "reversed", _("reversed, goods back on the shelf")

    community = models.ForeignKey(Community, models.PROTECT, related_name="+", verbose_name=_("community"))
    member = models.ForeignKey(Member, models.PROTECT, related_name="+", verbose_name=_("member"))
    goods = models.ForeignKey(Goods, models.PROTECT, related_name="redemptions", verbose_name=_("article"))
    quantity = models.PositiveIntegerField(_("quantity"))
    tenths = models.BigIntegerField(_("credits (tenths)"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("entered at"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="redemption_quantity_positive"),
            models.CheckConstraint(condition=Q(tenths__gt=0), name="redemption_amount_positive"),
            models.CheckConstraint(
                condition=Q(confirmed_at__isnull=True, status__in=["pending", "cancelled"])
                | Q(confirmed_at__isnull=False, status__in=["confirmed", "reversed"]),
                name="redemption_confirmed_when_handed_out",
            ),
        ]
        indexes = [models.Index(fields=["member", "status"], name="redemption_member_status_idx")]

    def __str__(self):
        return f"{self.goods_id} x{self.quantity}"


class StockMove(models.Model):
    """Goods onto or off the shelf: a donation in (who, what, how many), a redemption out, a reversed redemption
    back in, or the difference found by a stock count."""

    class Kind(models.TextChoices):
        DONATION = "donation", _("donation in")
        REDEMPTION = "redemption", _("redeemed out")
        RETURN = "return", _("redemption reversed, back in")
        COUNT = "count", _("stock count difference")

    goods = models.ForeignKey(Goods, models.PROTECT, related_name="moves", verbose_name=_("article"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    quantity = models.IntegerField(_("quantity"))
    donor = models.CharField(_("donor"), max_length=100, blank=True)
    donor_unit = models.ForeignKey(Unit, models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("donor organisation"))
    redemption = models.ForeignKey(Redemption, models.PROTECT, null=True, blank=True, related_name="moves")
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="stockmove_not_zero"),
            models.CheckConstraint(
                condition=Q(kind="donation", quantity__gt=0, redemption__isnull=True)
                | Q(kind="redemption", quantity__lt=0, redemption__isnull=False)
                | Q(kind="return", quantity__gt=0, redemption__isnull=False)
                | Q(kind="count", redemption__isnull=True),
                name="stockmove_shape",
            ),
            models.UniqueConstraint(fields=["redemption", "kind"], condition=Q(redemption__isnull=False),
                                    name="stockmove_once_per_redemption"),
        ]
        indexes = [models.Index(fields=["goods", "created_at"], name="stockmove_goods_at_idx")]

    def __str__(self):
        return f"{self.kind} {self.quantity}"
