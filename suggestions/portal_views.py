"""The firm's inbox in the portal: the entries of its estates, one entry with its history, the
steps (acknowledge, start, reply, resolve, close, refer) and the reply templates.

Firm users only (``firm_user_required``: bureau staff are sent home); every read goes through
selectors/inbox.py, scoped to the user's firm, so another firm's entry answers 404 to GET and POST
alike. Each step posts to its own address, makes one service call, says what it did in Chinese
and returns to the entry; a refused step re-renders the entry with the error next to its field
and the typed text kept. A GET of a step's address just returns to the entry.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.decorators import firm_user_required
from core import cache, navigation
from core.pagination import IdsFirstPaginator
from estates import selectors as estate_selectors

from . import photos as photo_files
from . import privacy, services
from .models import Suggestion
from .portal_forms import (
    InboxFilterForm,
    ReasonForm,
    ReplyForm,
    ReplyTemplateForm,
    ResolveForm,
    add_service_errors,
)
from .selectors import inbox

PAGE_SIZE = 30
State = Suggestion.State

CLOSE_LABEL = gettext_lazy("未解决的原因")
CLOSE_HELP = gettext_lazy("如无法解决或不属于诉求范围，请向居民说明原因，居民会看到这段话。")
REFER_LABEL = gettext_lazy("转区主管部门的原因")
REFER_HELP = gettext_lazy("不属于物业服务企业职责的事项，转区主管部门处理，并向居民说明。")


def _firm_estates(user):
    return list(estate_selectors.estate_list(user=user).filter(firm_id=user.firm_id).select_related(None)
                .order_by("code").only("pk", "code", "name"))


@firm_user_required
def inbox_list(request):
    """The firm's entries, newest first or by deadline, filtered, paginated."""
    user = request.user
    today = timezone.localdate()
    built = {}

    def build():  # run only when the rendered content is not in the cache (inbox.list_cache_key)
        if not built:
            form = InboxFilterForm(request.GET or None, estates=_firm_estates(user))
            if request.GET:
                form.is_valid()
            filters = form.filters() if request.GET else inbox.InboxFilter()
            page = IdsFirstPaginator(inbox.inbox_list(user=user, filters=filters, today=today),
                                     PAGE_SIZE).get_page(request.GET.get("page"))
            built.update(form=form, page=page, rows=inbox.with_deadlines(page.object_list, today=today),
                         counts=inbox.inbox_counts(user=user, today=today))
        return built

    params = request.GET.copy()
    params.pop("page", None)
    with cache.snapshot():  # the inbox's version and the shell's badges in one round trip
        navigation.prefetch(request, inbox.version_key(user.firm_id))
        return render(request, "suggestions/portal/inbox_list.html", {
            **{name: SimpleLazyObject(lambda name=name: build()[name]) for name in ("form", "page", "rows", "counts")},
            "params": params.urlencode(), "filtered": any(v for k, v in request.GET.items() if k != "page"),
            "content_key": inbox.list_cache_key(user=user, query=request.GET.urlencode(), language=get_language(),
                                                today=today),
            "content_ttl": inbox.LIST_TTL,
        })


def _forms_for(entry, templates, bound=None):
    """The action forms the entry's state allows; ``bound`` replaces one by its bound version."""
    forms = {}
    if entry.is_open:
        forms = {
            "reply": ReplyForm(templates=templates),
            "resolve": ResolveForm(prefix="resolve"),
            "close": ReasonForm(prefix="close", label=CLOSE_LABEL, help_text=CLOSE_HELP),
            "refer": ReasonForm(prefix="refer", label=REFER_LABEL, help_text=REFER_HELP),
        }
    forms.update(bound or {})
    return forms


def _detail(request, entry, *, bound=None):
    """The entry's page. Its shell's, its history's and its templates' cache keys are read in one round trip
    (``navigation.prefetch`` into a ``cache.snapshot``); everything below the resident's text (photos, the step
    forms, the history) is one rendered fragment kept under the history's key (events and photos, so every step,
    follow-up and overdue mark changes it), the state, the templates' version and the user: a warm page renders
    and reads none of it. A refused step (``bound``) renders it afresh, with its errors."""
    user = request.user
    with cache.snapshot():
        navigation.prefetch(request, inbox.templates_version_key(user.firm_id), inbox.AUTHORS_VERSION_KEY)
        history_key = inbox.history_cache_key(user=user, suggestion=entry)
        parts_key = "" if bound else (f"{history_key}:parts:{user.pk}:{entry.state}:{entry.reopen_count}:"
                                      f"{inbox.templates_version(user.firm_id)}")
        read = {}

        def parts():  # read only when the rendered parts are not kept
            if not read:
                read["photos"], read["history"] = inbox.entry_photos_and_history(suggestion=entry)
                read["templates"] = inbox.reply_template_list(user=user)
                read["forms"] = _forms_for(entry, read["templates"], bound)
            return read

        return render(request, "suggestions/portal/inbox_detail.html", {
            "entry": entry, "mobile": privacy.mobile_for(user, entry), "text": privacy.text_for(user, entry),
            **{name: SimpleLazyObject(lambda name=name: parts()[name]) for name in ("photos", "history", "forms")},
            "has_templates": SimpleLazyObject(lambda: bool(parts()["templates"])),
            "parts_key": parts_key, "deadline": inbox.deadline_status(entry),
            "can_acknowledge": entry.state == State.NEW,
            "can_start": entry.state in (State.NEW, State.ACKNOWLEDGED),
        })


@firm_user_required
def inbox_detail(request, number):
    return _detail(request, inbox.inbox_get(user=request.user, number=number))


def _step(request, number, do, done, *, form=None, name=None):
    """Run one step: ``do(entry)`` calls the service. A refused step shows the entry again with the
    error (on ``form`` when given, else as a message)."""
    entry = inbox.inbox_get(user=request.user, number=number)
    if request.method != "POST":
        return redirect("suggestions:inbox_detail", number=entry.number)
    if form is not None and not form.is_valid():
        return _detail(request, entry, bound={name: form})
    try:
        do(entry)
    except ValidationError as exc:
        if form is None:
            messages.error(request, " ".join(exc.messages))
            return redirect("suggestions:inbox_detail", number=entry.number)
        add_service_errors(form, exc)
        return _detail(request, entry, bound={name: form})
    messages.success(request, done)
    return redirect("suggestions:inbox_detail", number=entry.number)


@firm_user_required
@require_http_methods(["GET", "POST"])
def inbox_acknowledge(request, number):
    return _step(request, number, lambda e: services.suggestion_acknowledge(suggestion=e, user=request.user),
                 _("已受理，居民可在查询页看到。"))


@firm_user_required
@require_http_methods(["GET", "POST"])
def inbox_start(request, number):
    return _step(request, number, lambda e: services.suggestion_start(suggestion=e, user=request.user),
                 _("已开始办理。"))


@firm_user_required
@require_http_methods(["GET", "POST"])
def inbox_reply(request, number):
    user = request.user
    templates = inbox.reply_template_list(user=user)
    form = ReplyForm(request.POST or None, request.FILES or None, templates=templates)
    if request.method == "POST" and "fill" in request.POST:
        # Without JavaScript: "填入模板" puts the chosen template's text in the reply (nothing is sent).
        entry = inbox.inbox_get(user=user, number=number)
        chosen = form.chosen_template()
        data = request.POST.copy()
        if chosen is not None:
            data["text"] = chosen.text
        return _detail(request, entry, bound={"reply": ReplyForm(initial={"template": data.get("template"),
                                                                         "text": data.get("text", "")},
                                                                templates=templates)})

    def do(entry):
        services.suggestion_reply(suggestion=entry, user=user, text=form.cleaned_data["text"],
                                  photos=form.cleaned_data["photos"])

    return _step(request, number, do, _("答复已发送，居民可在查询页看到。"), form=form, name="reply")


@firm_user_required
@require_http_methods(["GET", "POST"])
def inbox_resolve(request, number):
    user = request.user
    form = ResolveForm(request.POST or None, request.FILES or None, prefix="resolve")

    def do(entry):
        services.suggestion_resolve(suggestion=entry, user=user, text=form.cleaned_data["text"],
                                    photos=form.cleaned_data["photos"])

    return _step(request, number, do, _("已办结（已解决），等待居民评价。"), form=form, name="resolve")


@firm_user_required
@require_http_methods(["GET", "POST"])
def inbox_close(request, number):
    user = request.user
    form = ReasonForm(request.POST or None, prefix="close", label=CLOSE_LABEL, help_text=CLOSE_HELP)
    return _step(request, number,
                 lambda e: services.suggestion_close(suggestion=e, user=user, reason=form.cleaned_data["reason"]),
                 _("已办结（未解决），原因已告知居民。"), form=form, name="close")


@firm_user_required
@require_http_methods(["GET", "POST"])
def inbox_refer(request, number):
    user = request.user
    form = ReasonForm(request.POST or None, prefix="refer", label=REFER_LABEL, help_text=REFER_HELP)
    return _step(request, number,
                 lambda e: services.suggestion_refer(suggestion=e, user=user, reason=form.cleaned_data["reason"]),
                 _("已转区主管部门，区主管部门会收到通知。"), form=form, name="refer")


@firm_user_required
def inbox_photo(request, number, pk, size="full"):
    """A photo of one of the firm's entries (never through MEDIA_URL)."""
    entry = inbox.inbox_get(user=request.user, number=number)
    photo = inbox.photo_get(suggestion=entry, pk=pk)
    try:
        return photo_files.serve(photo, thumbnail=size == "thumb")
    except FileNotFoundError:
        raise Http404 from None


# --- reply templates ----------------------------------------------------------------------------

@firm_user_required
@require_http_methods(["GET", "POST"])
def reply_template_list(request):
    user = request.user
    form = ReplyTemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reply_template_save(user=user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("答复模板已添加。"))
            return redirect("suggestions:reply_templates")
    page = Paginator(inbox.reply_templates(user=user), 50).get_page(request.GET.get("page"))
    return render(request, "suggestions/portal/reply_templates.html", {"form": form, "page": page},)


@firm_user_required
@require_http_methods(["GET", "POST"])
def reply_template_edit(request, pk):
    user = request.user
    template = inbox.reply_template_get(user=user, pk=pk)
    form = ReplyTemplateForm(request.POST or None, initial={"title": template.title, "text": template.text})
    if request.method == "POST" and form.is_valid():
        try:
            services.reply_template_save(user=user, template=template, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("答复模板已保存。"))
            return redirect("suggestions:reply_templates")
    return render(request, "suggestions/portal/reply_template_edit.html", {"form": form, "template": template},)


@firm_user_required
@require_http_methods(["GET", "POST"])
def reply_template_delete(request, pk):
    template = inbox.reply_template_get(user=request.user, pk=pk)
    if request.method == "POST":
        services.reply_template_delete(user=request.user, template=template)
        messages.success(request, _("答复模板“%(title)s”已删除。") % {"title": template.title})
        return redirect("suggestions:reply_templates")
    return render(request, "suggestions/portal/reply_template_delete.html", {"template": template})
