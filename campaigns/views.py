"""Firm portal pages of the campaign engine: my obligations, evidence, records, coordinators.

Every page is for firm users (``firm_user_required``) and reads through the scoped
selectors of campaigns/selectors.py: another firm's obligation answers 404, for GET and
POST alike. Writes are one service call; a ValidationError of the service is shown on the
form with everything the user typed kept.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.decorators import firm_user_required
from core import cache as core_cache
from core import navigation, xlsx
from core.pagination import IdsFirstPaginator
from estates import scoping
from estates import selectors as estate_selectors

from . import exports, record_kinds, selectors, services
from .forms import ActivityForm, CoordinatorForm, EvidenceForm, RosterUploadForm, TrainingForm
from .importers import ROSTER_SPEC, CoordinatorRosterImporter, roster_template_rows
from .models import Campaign

PAGE_SIZE = 50
RECORD_NAV = {"training": "trainings", "activity": "activities"}  # the records tab to highlight
FILTER_LABELS = (
    ("all", gettext_lazy("全部")), ("overdue", gettext_lazy("已逾期")), ("due7", gettext_lazy("7 天内到期")),
    ("returned", gettext_lazy("被退回")), ("submitted", gettext_lazy("待审核")), ("accepted", gettext_lazy("已通过")),
)


def _xlsx(fh, title):
    return FileResponse(fh, as_attachment=True, filename=exports.export_name(title),
                        content_type=xlsx.XLSX_CONTENT_TYPE)


def _firm_estates(user):
    return estate_selectors.estate_list(user=user).filter(is_active=True, firm_id=user.firm_id).order_by("code")


def _form_key(user):
    """What the record pages' forms depend on besides their class and initial values (the firm's estates, in
    their choices): the key of their cached rendering (core/templatetags/portal_forms.py)."""
    return estate_selectors.registry_cache_key("record-form", user.firm_id)


def _pick_campaign(request):
    """The campaign chosen in the list (``?campaign=``), or the current one; "all" means every one.
    One query: the user's live campaigns (a handful), the choice made among them."""
    live = list(selectors.campaign_list(user=request.user).filter(
        status__in=[Campaign.Status.PUBLISHED, Campaign.Status.CLOSED]))
    raw = request.GET.get("campaign", "")
    if raw == "all":
        return live, None
    if raw.isdigit():
        return live, next((c for c in live if str(c.pk) == raw), None)
    return live, selectors.campaign_current_of(live)


# --- obligations -------------------------------------------------------------------------------

@firm_user_required
def obligation_list(request):
    """My obligations by estate and deadline, with filters and their counts."""
    user = request.user
    today = timezone.localdate()
    campaigns, campaign = _pick_campaign(request)
    current = request.GET.get("f", "all")
    if current not in dict(FILTER_LABELS):
        current = "all"
    # The estate picker's options, cached under the registry version (any estate saved or imported renews it).
    estates = core_cache.cached(estate_selectors.registry_cache_key("firm-estate-options", user.firm_id),
                                lambda: list(_firm_estates(user).values("pk", "code", "name")),
                                estate_selectors.REGISTRY_TTL)
    estate_code = request.GET.get("estate", "").strip().upper()
    estate = next((e for e in estates if e["code"] == estate_code), None) if estate_code else None
    filter_name = None if current == "all" else current
    if request.GET.get("export") == "xlsx":
        estate_pk = estate["pk"] if estate else None
        qs = selectors.firm_obligations(user=user, campaign=campaign, today=today, filter=filter_name,
                                        estate=estate_pk)
        return _export_obligations(request, qs, campaign=campaign, filter=current, estate_pk=estate_pk)
    number = request.GET.get("page", "1")
    number = number if number.isdigit() and len(number) <= 6 else "1"

    def rows_page():  # read only when the rows' cached fragment is missing
        qs = selectors.firm_obligations(user=user, campaign=campaign, today=today, filter=filter_name,
                                        estate=estate["pk"] if estate else None,
                                        related=selectors.FIRM_LIST_RELATED)
        return IdsFirstPaginator(qs, PAGE_SIZE).get_page(number)

    page = SimpleLazyObject(rows_page)
    counts = selectors.firm_filter_counts(user=user, campaigns=campaigns, campaign=campaign, today=today)
    params = {"campaign": campaign.pk if campaign else "all"}
    if estate is not None:
        params["estate"] = estate["code"]
    # The table and its pagination are cached as rendered HTML under the figures tokens of the campaigns shown
    # (selectors.firm_list_key: any write that can change a row renews them), the filter, estate, page and
    # language: a repeated view costs four small queries and no row is read.
    rows_key = ":".join(map(str, (selectors.firm_list_key(user=user, campaigns=campaigns, campaign=campaign,
                                                          today=today),
                                  current, estate["code"] if estate else "", number, get_language())))
    return render(request, "campaigns/portal/obligation_list.html", {
        "page": page, "obligations": SimpleLazyObject(lambda: page.object_list), "campaigns": campaigns,
        "campaign": campaign, "filters": [(key, label, counts.get(key, 0)) for key, label in FILTER_LABELS],
        "current": current, "estates": estates, "estate": estate, "params": params, "today": today,
        "rows_key": rows_key, "rows_ttl": selectors.FIGURES_TTL,
    })


def _export_obligations(request, qs, *, campaign, filter, estate_pk):
    count = qs.count()
    if count > exports.OBLIGATION_EXPORT_SYNC_LIMIT:
        from .jobs import obligations_export_start

        # The arguments of selectors.firm_obligations, the search this list ran.
        job = obligations_export_start(
            user=request.user, count=count, area=False, order="estate", firm=request.user.firm_id,
            campaign=campaign.pk if campaign else None, filter=None if filter == "all" else filter,
            estate=estate_pk)
        messages.info(request, _("共 %(n)s 条，正在后台导出，完成后可在此页下载。") % {"n": count})
        return redirect("jobs:detail", pk=job.pk)
    return _xlsx(exports.export_obligations(qs), _("我的任务"))


@firm_user_required
@require_http_methods(["GET", "POST"])
def obligation_detail(request, pk):
    """Requirement, deadline, state, history and review comments; the evidence form. The cache is read in two
    round trips: the version tokens with the shell's badges (``navigation.prefetch``), then the obligation's
    registry rows with its two kept fragments (``read_ahead``)."""
    with core_cache.snapshot():
        navigation.prefetch(request, estate_selectors.REGISTRY_VERSION_KEY, selectors.PEOPLE_VERSION_KEY,
                            selectors.ALL_RECORDS_VERSION_KEY)
        return _obligation_detail(request, pk)


def _kept_parts(obligation):
    keys = [selectors.obligation_history_key(obligation=obligation), selectors.obligation_records_key(
        obligation=obligation)]
    return [core_cache.fragment_key(key) for key in keys if key]


def _obligation_detail(request, pk):
    user = request.user
    obligation = selectors.obligation_page(user=user, pk=pk, read_ahead=_kept_parts)
    can_submit = selectors.can_submit(user=user, obligation=obligation)
    form = None
    if can_submit:
        form = EvidenceForm(request.POST or None, request.FILES or None, task=obligation.task)
        if request.method == "POST" and form.is_valid():
            try:
                services.obligation_submit(obligation=obligation, user=user, **form.service_kwargs())
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, _("已提交，等待%(reviewer)s审核。") % {"reviewer": obligation.reviewer})
                return redirect("campaigns:obligation_detail", pk=obligation.pk)
    elif request.method == "POST":
        messages.error(request, _("该任务当前不能提交（%(state)s）。") % {"state": obligation.get_state_display()})
        return redirect("campaigns:obligation_detail", pk=obligation.pk)
    spec = record_kinds.get(obligation.task.record_kind)
    # The evidence and the history are cached as rendered HTML (selectors.obligation_history_key: every write
    # adding to them renews the campaign's figures token): read only when that part is missing.
    history = SimpleLazyObject(lambda: selectors.obligation_history(obligation=obligation))
    return render(request, "campaigns/portal/obligation_detail.html", {
        "obligation": obligation, "task": obligation.task, "form": form, "can_submit": can_submit,
        "evidence": SimpleLazyObject(lambda: history[0]), "events": SimpleLazyObject(lambda: history[1]),
        "history_key": selectors.obligation_history_key(obligation=obligation),
        # The unbound form's rendering depends on the task's evidence kinds alone (its fields and labels).
        "form_key": "evidence:" + ",".join(sorted(obligation.task.evidence_kinds or [])),
        # The records counted, read only when their cached rendering is missing (selectors.obligation_records_key).
        "records": SimpleLazyObject(lambda: list(selectors.obligation_records(obligation=obligation)))
        if spec is not None else None,
        "records_key": selectors.obligation_records_key(obligation=obligation),
        "is_overdue": obligation.is_overdue,  # annotated by selectors (with_flags)
        # Where the user files a record of this kind: the registering app says (campaigns/record_kinds.py).
        "record_links": spec.file_url(obligation) if spec is not None and spec.file_url else None,
    })


def evidence_file_response(obligation, file_id):
    """Serve one evidence file of an already scoped obligation. Files are never linked from
    MEDIA_URL: that would make them public to anyone holding the address. Images open in the
    browser; documents download (the stored extension matches the checked content)."""
    from .models import EvidenceFile

    try:
        item = EvidenceFile.objects.get(pk=file_id, evidence__obligation=obligation)
    except EvidenceFile.DoesNotExist:
        raise Http404 from None
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=item.kind != EvidenceFile.Kind.PHOTO,
                        filename=item.original_name or item.file.name.rsplit("/", 1)[-1])


@firm_user_required
def evidence_file(request, pk, file_id):
    return evidence_file_response(selectors.obligation_page(user=request.user, pk=pk), file_id)


@login_required
def record_photo(request, pk):
    """A photo of a training or activity, for users who may see the record; never via MEDIA_URL."""
    photo = selectors.record_photo_get(user=request.user, pk=pk)
    try:
        handle = photo.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, filename=photo.original_name or photo.file.name.rsplit("/", 1)[-1])


# --- records -----------------------------------------------------------------------------------

@firm_user_required
@require_http_methods(["GET", "POST"])
def trainings(request):
    user = request.user

    def firm_trainings():  # built only when read (an export, or the table's cached rendering missing)
        return selectors.training_list(user=user).filter(organiser_firm_id=user.firm_id)

    if request.GET.get("export") == "xlsx":
        return _xlsx(exports.export_trainings(firm_trainings()), _("培训记录"))
    form = TrainingForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.training_record(user=user, organiser_firm=user.firm, date=data["date"], topic=data["topic"],
                                     audience=data["audience"], attendee_count=data["attendee_count"],
                                     place=data["place"], notes=data["notes"], photos=data["photos"])
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("培训已登记，相关任务的完成次数已更新。"))
            return redirect("campaigns:trainings")
    return render(request, "campaigns/portal/trainings.html", {
        "form": form, **_record_rows(request, firm_trainings, kind="training"), "form_key": _form_key(user)})


def _record_rows(request, records, *, kind):
    """The context of a records list's table: its page, rows and locked pks, read (``records()``: the firm's
    records) only when the table's cached rendering is missing (``rows_key``: selectors.record_list_key, renewed
    by every write that changes what it shows)."""
    number = request.GET.get("page")
    page = SimpleLazyObject(lambda: Paginator(records(), PAGE_SIZE).get_page(number))
    rows = SimpleLazyObject(lambda: page.object_list)
    return {"page": page, "rows": rows, "locked": SimpleLazyObject(lambda: selectors.locked_records(rows)),
            "rows_key": selectors.record_list_key(kind=kind, user=request.user, page=number)}


def _own_training(request, pk):
    """A training filed by the user's firm, or 404 (another firm's, an agency's, or none), with ``photo_count``."""
    qs = selectors.training_list(user=request.user).filter(organiser_firm_id=request.user.firm_id)
    return scoping.get_or_404(selectors.record_page(qs), pk=pk)


def _own_activity(request, pk):
    qs = selectors.activity_list(user=request.user).filter(firm_id=request.user.firm_id)
    return scoping.get_or_404(selectors.record_page(qs), pk=pk)


def _service_errors(form, exc):
    for field, errors in (exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]):
        for message in errors:
            form.add_error(field if field in form.fields else None, message)


def _record_page(request, *, record, form, kind, back):
    return render(request, "campaigns/portal/record_edit.html", {
        "record": record, "form": form, "kind": kind, "back": back, "nav": RECORD_NAV[kind],
        "locked": selectors.record_locked(record), "photo_count": record.photo_count,
        "form_key": _form_key(request.user),
    })


@firm_user_required
@require_http_methods(["GET", "POST"])
def training_edit(request, pk):
    """Correct a training of the firm (until an obligation it counts towards is accepted)."""
    user = request.user
    training = _own_training(request, pk)
    initial = {f: getattr(training, f) for f in ("date", "topic", "audience", "attendee_count", "place", "notes")}
    form = TrainingForm(request.POST or None, request.FILES or None, initial=initial, submit_label=_("保存更正"))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.training_update(user=user, training=training, date=data["date"], topic=data["topic"],
                                     audience=data["audience"], attendee_count=data["attendee_count"],
                                     place=data["place"], notes=data["notes"], photos=data["photos"])
        except ValidationError as exc:
            _service_errors(form, exc)
        else:
            messages.success(request, _("培训记录已更正，相关任务的完成次数已更新。"))
            return redirect("campaigns:trainings")
    return _record_page(request, record=training, form=form, kind="training", back=reverse("campaigns:trainings"))


@firm_user_required
@require_http_methods(["GET", "POST"])
def training_withdraw(request, pk):
    """Confirm, then withdraw (delete) a training of the firm."""
    training = _own_training(request, pk)
    if request.method == "POST":
        try:
            services.training_withdraw(user=request.user, training=training)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("培训记录“%(topic)s”已撤回，相关任务的完成次数已更新。")
                             % {"topic": training.topic})
        return redirect("campaigns:trainings")
    return _withdraw_page(request, record=training, kind="training", back=reverse("campaigns:trainings"))


def _withdraw_page(request, *, record, kind, back):
    return render(request, "campaigns/portal/record_withdraw.html", {
        "record": record, "kind": kind, "back": back, "nav": RECORD_NAV[kind],
        "locked": selectors.record_locked(record), "photo_count": record.photo_count,
    })


@firm_user_required
@require_http_methods(["GET", "POST"])
def activities(request):
    user = request.user

    def firm_activities():  # built only when read, as for the trainings
        return selectors.activity_list(user=user).filter(firm_id=user.firm_id)

    if request.GET.get("export") == "xlsx":
        return _xlsx(exports.export_activities(firm_activities()), _("活动记录"))
    estates = _firm_estates(user)
    initial = {"kind": request.GET.get("kind")} if request.GET.get("kind") else None
    form = ActivityForm(request.POST or None, request.FILES or None, estates=estates, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.activity_record(user=user, firm=user.firm, kind=data["kind"], date=data["date"],
                                     title=data["title"], estate=data["estate"], partners=data["partners"],
                                     participant_count=data["participant_count"],
                                     description=data["description"], photos=data["photos"])
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("活动已登记，相关任务的完成次数已更新。"))
            return redirect("campaigns:activities")
    return render(request, "campaigns/portal/activities.html", {
        "form": form, **_record_rows(request, firm_activities, kind="activity"), "form_key": _form_key(user)})


@firm_user_required
@require_http_methods(["GET", "POST"])
def activity_edit(request, pk):
    """Correct an activity of the firm (until an obligation it counts towards is accepted)."""
    user = request.user
    activity = _own_activity(request, pk)
    initial = {f: getattr(activity, f) for f in ("kind", "date", "title", "estate_id", "partners",
                                                  "participant_count", "description")}
    initial["estate"] = initial.pop("estate_id")  # the estate's pk: what the form shows, without reading it
    form = ActivityForm(request.POST or None, request.FILES or None, estates=_firm_estates(user), initial=initial,
                        submit_label=_("保存更正"))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.activity_update(user=user, activity=activity, kind=data["kind"], date=data["date"],
                                     title=data["title"], estate=data["estate"], partners=data["partners"],
                                     participant_count=data["participant_count"],
                                     description=data["description"], photos=data["photos"])
        except ValidationError as exc:
            _service_errors(form, exc)
        else:
            messages.success(request, _("活动记录已更正，相关任务的完成次数已更新。"))
            return redirect("campaigns:activities")
    return _record_page(request, record=activity, form=form, kind="activity", back=reverse("campaigns:activities"))


@firm_user_required
@require_http_methods(["GET", "POST"])
def activity_withdraw(request, pk):
    """Confirm, then withdraw (delete) an activity of the firm."""
    activity = _own_activity(request, pk)
    if request.method == "POST":
        try:
            services.activity_withdraw(user=request.user, activity=activity)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("活动记录“%(title)s”已撤回，相关任务的完成次数已更新。")
                             % {"title": activity.title})
        return redirect("campaigns:activities")
    return _withdraw_page(request, record=activity, kind="activity", back=reverse("campaigns:activities"))


# --- coordinators ------------------------------------------------------------------------------

@firm_user_required
@require_http_methods(["GET", "POST"])
def coordinators(request):
    """The firm's estates with their current coordinator; file one, or upload the roster."""
    user = request.user
    if request.GET.get("export") == "xlsx":
        return _xlsx(exports.export_roster(selectors.coordinator_roster(user=user, firm=user.firm)), _("协调员名册"))
    form = CoordinatorForm(request.POST or None, estates=_firm_estates(user),
                           initial={"estate": request.GET.get("estate")} if request.GET.get("estate") else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.coordinator_file(user=user, estate=data["estate"], name=data["name"], phone=data["phone"],
                                      appointed_on=data["appointed_on"])
        except ValidationError as exc:
            for field, errors in (exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]):
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, _("%(estate)s 的协调员已备案。") % {"estate": data["estate"]})
            return redirect("campaigns:coordinators")
    number = request.GET.get("page", "1")
    number = number if number.isdigit() and len(number) <= 6 else "1"
    page = SimpleLazyObject(lambda: Paginator(selectors.coordinator_roster(user=user, firm=user.firm),
                                              PAGE_SIZE).get_page(number))
    # The upload form and the roster table are cached as rendered HTML under the registry version (the estates)
    # and the roster version (every save or delete of a coordinator renews it), the firm, the page and the
    # language: a repeated view reads no estate and no coordinator.
    return render(request, "campaigns/portal/coordinators.html", {
        "form": form, "upload_form": SimpleLazyObject(RosterUploadForm), "page": page,
        "rows": SimpleLazyObject(lambda: page.object_list), "form_key": _form_key(user),
        "rows_key": estate_selectors.registry_cache_key("roster-page", user.firm_id,
                                                        estate_selectors.roster_version(), number),
    })


@firm_user_required
def roster_template(request):
    """The roster template filled in with the firm's own active estates (codes, names, current
    coordinators): the firm types only the coordinators' names, phones and dates."""
    roster = selectors.coordinator_roster(user=request.user, firm=request.user.firm)
    return xlsx.template_response(ROSTER_SPEC, filename=_("协调员名册导入模板"), rows=roster_template_rows(roster))


@firm_user_required
@require_http_methods(["GET", "POST"])
def roster_upload(request):
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        from core.xlsx.import_job import import_upload

        try:
            # A large roster becomes a long job: its page shows the progress, then the same result.
            result = import_upload(CoordinatorRosterImporter, user=request.user, upload=form.cleaned_data["file"],
                                   title=_("上传协调员名册"))
        except xlsx.UploadRefused as exc:
            form.add_error("file", str(exc))
        else:
            if result.running_job is not None:
                return redirect("jobs:detail", pk=result.running_job.pk)
            if result.ok:
                messages.success(request, _("名册已导入：备案 %(c)s 个，未变化 %(n)s 个。") % {
                    "c": result.counts.created, "n": result.counts.unchanged})
                return redirect("campaigns:coordinators")
    return render(request, "campaigns/portal/roster_upload.html", {
        "form": form, "result": result, "errors": result.errors[:500] if result else [],
        "marked_url": reverse("jobs:download", args=[result.job.pk]) if result and result.job else "",
    })
