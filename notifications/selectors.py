"""Reads of the notification service. In-app notifications belong to one user; the reminder
and digest logs are scoped through estates.scoping like every other bureau list."""

from dataclasses import dataclass, field

from campaigns.models import Campaign, Obligation
from estates import scoping

from .models import Digest, Notification, Reminder

REMINDER_LINKS = {"estate": "obligation__estate", "firm": "obligation__firm", "agency": "obligation__agency"}
DIGEST_LINKS = {"agency": "agency"}


def notification_list(*, user):
    return Notification.objects.filter(user=user)


def notification_get(*, user, pk):
    return scoping.get_or_404(notification_list(user=user), pk=pk)


def unread_count(*, user):
    if not (user and user.is_authenticated):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def reminder_log(*, user):
    return scoping.restrict(
        Reminder.objects.select_related(
            "obligation__task", "obligation__estate", "obligation__firm", "obligation__agency", "campaign",
            "requested_by",
        ),
        user,
        **REMINDER_LINKS,
    )


def digest_log(*, user):
    return scoping.restrict(Digest.objects.select_related("user", "agency"), user, **DIGEST_LINKS)


def obligation_for_reminder(*, user, pk):
    """An obligation a bureau user may send a manual reminder about (404 outside their scope)."""
    qs = scoping.restrict(
        Obligation.objects.select_related("task", "campaign", "estate__firm", "firm", "agency"),
        user,
        estate="estate", firm="firm", agency="agency",
    )
    return scoping.get_or_404(qs, pk=pk)


@dataclass
class EstateGroup:
    label: str
    obligations: list = field(default_factory=list)


@dataclass
class FirmGroup:
    label: str
    estates: dict = field(default_factory=dict)
    count: int = 0

    def add(self, label, ob):
        self.estates.setdefault(label, EstateGroup(label)).obligations.append(ob)
        self.count += 1


def overdue_digest_groups(*, agency, today):
    """Every overdue obligation the agency reviews, grouped by responsible firm (or agency)
    and estate, in one query. Returns ``(groups, count)``."""
    from django.utils.translation import gettext as _

    rows = (
        Obligation.objects.overdue(today)
        .filter(reviewer=agency, campaign__status=Campaign.Status.PUBLISHED)
        .select_related("task", "estate__firm", "firm", "agency")
        .order_by("due_date", "pk")
    )
    groups = {}
    count = 0
    own_work = {_("企业层面任务"), _("机构层面任务")}
    for ob in rows:
        ob.days_overdue = (today - ob.due_date).days
        if ob.estate_id:
            firm_label = ob.estate.firm.name if ob.estate.firm_id else _("（未登记物业企业）")
            estate_label = ob.estate.name
        elif ob.firm_id:
            firm_label, estate_label = ob.firm.name, _("企业层面任务")
        else:
            firm_label, estate_label = str(ob.agency), _("机构层面任务")
        groups.setdefault(firm_label, FirmGroup(firm_label)).add(estate_label, ob)
        count += 1
    ordered = []
    for label in sorted(groups):
        group = groups[label]
        # The firm's (or agency's) own work first, then its estates by name.
        group.estates = sorted(group.estates.values(), key=lambda g: (g.label not in own_work, g.label))
        ordered.append(group)
    return ordered, count
