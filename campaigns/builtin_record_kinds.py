"""The record kinds campaigns itself brings: trainings, the three kinds of activity, coordinators.

Registered from ``CampaignsConfig.ready`` through the same registry any later app uses
(campaigns/record_kinds.py). Coordinators are estates' records: campaigns observes them from here
(estates knows nothing of campaigns), and ``services.coordinator_file`` reports their changes.
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from estates.models import Coordinator

from . import record_kinds
from .models import Activity, RecordKind, Training


def _trainings_url(obligation):
    return {"url": reverse("campaigns:trainings"), "label": _("登记培训")}


def _activities_url(kind):
    def file_url(obligation):
        return {"url": reverse("campaigns:activities") + f"?kind={kind}", "label": _("登记活动")}
    return file_url


def _coordinators_url(obligation):
    return {"url": reverse("campaigns:coordinators"), "label": _("备案协调员")}


def _coordinator_records(obligation):
    # The whole history of the estate's coordinators, the current one first; only the current one counts.
    if not obligation.estate_id:
        return Coordinator.objects.none()
    return Coordinator.objects.filter(estate_id=obligation.estate_id).order_by("-is_current", "-appointed_on")


def register():
    trainings = record_kinds.DatedRecords(
        Training.objects.all, parties={"firm": "organiser_firm", "agency": "organiser_agency"}, prefetch=["photos"])
    record_kinds.register(record_kinds.RecordKindSpec(
        key=RecordKind.TRAINING.value, label=RecordKind.TRAINING.label, file_url=_trainings_url, **trainings.hooks()))
    for kind in (RecordKind.FRIENDSHIP, RecordKind.CONVENIENCE, RecordKind.PAIRING):
        activities = record_kinds.DatedRecords(
            lambda kind=kind: Activity.objects.filter(kind=kind), parties={"firm": "firm", "estate": "estate"},
            prefetch=["photos"])
        record_kinds.register(record_kinds.RecordKindSpec(
            key=kind.value, label=kind.label, file_url=_activities_url(kind.value), **activities.hooks()))
    coordinators = record_kinds.DatedRecords(
        lambda: Coordinator.objects.filter(is_current=True), parties={"estate": "estate"}, date_field=None)
    record_kinds.register(record_kinds.RecordKindSpec(
        key=RecordKind.COORDINATOR.value, label=RecordKind.COORDINATOR.label, count=coordinators.count,
        records=_coordinator_records, file_url=_coordinators_url))
