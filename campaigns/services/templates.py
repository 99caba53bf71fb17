"""Campaign templates (JSON fixtures) and copies to a new year."""

import json
from datetime import date, timedelta
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.text import labelled, with_note
from estates.models import Agency

from ..models import (
    Action,
    Campaign,
    Task,
)

TASK_FIELDS = ["title", "requirement", "lead_unit", "co_lead_unit", "participating_units", "party_kind",
               "firm_grades", "estate_categories", "old_estates_only", "recurrence", "min_count",
               "evidence_kinds", "record_kind", "is_voluntary", "source"]


def _shift_years(d, years):
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February into a common year
        return d.replace(year=d.year + years, day=28)


def _parse_date(value, where, errors):
    try:
        return date.fromisoformat(str(value))
    except (TypeError, ValueError):
        errors.append(_("%(where)s：日期“%(value)s”格式不正确，应为 YYYY-MM-DD。") % {"where": where, "value": value})
        return None


def read_template(path):
    """Read a campaign template (JSON) from a file path."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationError(_("找不到模板文件：%(path)s") % {"path": path})
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValidationError(_("模板文件不是有效的 JSON：%(error)s") % {"error": exc})


def shift_to_middle(data, today):
    """Days to add to a template's dates so that `today` falls in the middle of it."""
    start = date.fromisoformat(data["start_date"])
    end = date.fromisoformat(data["end_date"])
    return (today - (start + (end - start) / 2)).days


@transaction.atomic
def campaign_load_template(*, data=None, path=None, issuing_agency, date_shift=0, year_shift=0, user=None):
    """Create a draft campaign from a template (dict or JSON file).

    ``year_shift`` moves every date by whole years (the same month and day); ``date_shift``
    then moves them by a number of days. Every row is validated before anything is saved;
    errors name the action and task. Districts in a template are district names (full or
    short) under the issuing agency.
    """
    if data is None:
        data = read_template(path)
    if not isinstance(data, dict) or not isinstance(data.get("actions"), list):
        raise ValidationError(_("模板格式不正确：缺少 actions 列表。"))
    errors = []

    def when(value, where):
        d = _parse_date(value, where, errors)
        return d and _shift_years(d, year_shift) + timedelta(days=date_shift)

    districts = {}
    for d in Agency.objects.filter(level=Agency.Level.DISTRICT, path__startswith=issuing_agency.path):
        districts[d.name] = districts[d.short_name or d.name] = d
    start = when(data.get("start_date"), _("活动"))
    year = (start.year if start else int(data.get("year", 0)) + year_shift)
    campaign = Campaign(
        name=str(data.get("name", "")).format(year=year), year=year, issuing_agency=issuing_agency,
        document_number=data.get("document_number", ""), description=data.get("description", ""),
        issued_on=when(data["issued_on"], _("发文日期")) if data.get("issued_on") else None,
        start_date=start, end_date=when(data.get("end_date"), _("活动")), template_key=data.get("key", ""),
    )
    _collect(campaign, _("活动"), errors, exclude=["issuing_agency"])
    actions, tasks = [], []
    task_codes = set()
    for a_index, a in enumerate(data["actions"], start=1):
        a_where = _("第 %(n)s 项行动") % {"n": a_index}
        action = Action(order=a_index, code=a.get("code", ""), name=a.get("name", ""),
                        description=a.get("description", ""))
        _collect(action, a_where, errors, exclude=["campaign"])
        actions.append(action)
        for t_index, t in enumerate(a.get("tasks", []), start=1):
            t_where = _("%(action)s第 %(n)s 项任务（%(code)s）") % {"action": a_where, "n": t_index,
                                                                 "code": t.get("code", "")}
            if t.get("code") in task_codes:
                errors.append(_("%(where)s：任务标识重复。") % {"where": t_where})
            task_codes.add(t.get("code"))
            task = Task(order=t_index, code=t.get("code", ""),
                        window_start=when(t.get("window_start"), t_where), deadline=when(t.get("deadline"), t_where),
                        **{f: t[f] for f in TASK_FIELDS if f in t})
            _collect(task, t_where, errors, exclude=["action"])
            task_districts = []
            for name in t.get("districts", []):
                if name not in districts:
                    errors.append(_("%(where)s：找不到区域“%(name)s”。") % {"where": t_where, "name": name})
                else:
                    task_districts.append(districts[name])
            tasks.append((len(actions) - 1, task, task_districts))
    if errors:
        raise ValidationError(errors)
    campaign.save()
    for action in actions:
        action.campaign = campaign
    Action.objects.bulk_create(actions)
    for a_index, task, _d in tasks:
        task.action = actions[a_index]
    Task.objects.bulk_create([t for _a, t, _d in tasks])
    for _a, task, task_districts in tasks:
        if task_districts:
            task.districts.set(task_districts)
    return campaign


def _collect(instance, where, errors, exclude):
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            label = instance._meta.get_field(field).verbose_name if field != "__all__" else ""
            for message in messages:
                errors.append(labelled(with_note(where, label) if label else where, message))


def campaign_to_template(campaign):
    """The campaign as template data (the inverse of campaign_load_template)."""
    data = {
        "key": campaign.template_key, "name": campaign.name, "year": campaign.year,
        "document_number": campaign.document_number, "description": campaign.description,
        "issued_on": campaign.issued_on.isoformat() if campaign.issued_on else None,
        "start_date": campaign.start_date.isoformat(), "end_date": campaign.end_date.isoformat(), "actions": [],
    }
    for action in campaign.actions.prefetch_related("tasks__districts").order_by("order"):
        a = {"code": action.code, "name": action.name, "description": action.description, "tasks": []}
        for task in action.tasks.all().order_by("order"):
            t = {"code": task.code, "window_start": task.window_start.isoformat(),
                 "deadline": task.deadline.isoformat(), **{f: getattr(task, f) for f in TASK_FIELDS},
                 "districts": [d.name for d in task.districts.all()]}
            a["tasks"].append(t)
        data["actions"].append(a)
    return data


@transaction.atomic
def campaign_copy(*, campaign, new_year, document_number="", user=None):
    """Copy a campaign into a new draft for `new_year`, every date moved by whole years.
    The year in the name is replaced too. The document number is the new year's own (blank
    until the bureau issues it): last year's number never belongs to the copy."""
    years = new_year - campaign.year
    if years == 0:
        raise ValidationError(_("新年度与原活动年度相同。"))
    data = campaign_to_template(campaign)
    data["name"] = campaign.name.replace(str(campaign.year), "{year}")
    data["document_number"] = (document_number or "").strip()
    copy = campaign_load_template(data=data, issuing_agency=campaign.issuing_agency, year_shift=years, user=user)
    copy.copied_from = campaign
    copy.save(update_fields=["copied_from"])
    return copy
