"""The reminder mails are byte-for-byte what they were before the sweep's mail path was made
faster (issue 16): subject, text, HTML, summary, link and headers of a sample of reminders, and
the MIME messages a sweep hands to the mail backend. The snapshot was recorded from the code
before the change (tests/snapshots/reminder_mails.json)."""

import datetime
import json
import re
from pathlib import Path

import pytest
from django.core import mail

from campaigns import reminder_messages, reminders
from campaigns.models import Obligation
from notifications.models import Reminder
from tests.test_reminders import TODAY, Cast

SNAPSHOT = Path(__file__).parent / "snapshots" / "reminder_mails.json"
D = datetime.date.fromisoformat


@pytest.fixture(autouse=True)
def _eager_celery():
    from config.celery import app

    old = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = old


def _normalise(text, pks):
    # Primary keys differ from run to run: name them by their place in the sample.
    for i, pk in enumerate(pks):
        text = re.sub(rf"(?<=/){pk}(?=/)", f"<ob{i}>", text)
    return text


def _samples(world):
    cast = Cast(world)
    bare = cast.add_task("no-req", "开展消防演练")
    bare.requirement = ""
    bare.save()
    obs = [
        cast.obligation(D("2025-06-13")),
        cast.obligation(TODAY, state=Obligation.State.RETURNED),
        cast.obligation(D("2025-06-05"), task=bare),
        cast.obligation(D("2025-06-20"), estate=world.estate2),
        cast.obligation(D("2025-06-07"), agency=world.district),
        cast.obligation(D("2025-06-12"), firm=world.firm, task=bare),
    ]
    kinds = [Reminder.Kind.BEFORE, Reminder.Kind.DUE, Reminder.Kind.OVERDUE, Reminder.Kind.MANUAL,
             Reminder.Kind.OVERDUE, Reminder.Kind.BEFORE]
    return cast, obs, kinds


def _rendered(world):
    _cast, obs, kinds = _samples(world)
    pks = [ob.pk for ob in obs]
    out = []
    for ob, kind in zip(obs, kinds, strict=True):
        ob = Obligation.objects.select_related(
            "task__action", "campaign", "estate__firm", "firm", "agency").get(pk=ob.pk)
        reminder = Reminder(obligation=ob, campaign=ob.campaign, due_date=ob.due_date, kind=kind, offset=0,
                            date=TODAY, seq=1, requested_by=world.district_user if kind == "manual" else None)
        for for_firm in (True, False):
            m = reminder_messages.reminder_message(reminder, ob, today=TODAY, for_firm=for_firm)
            out.append({k: _normalise(v, pks) if isinstance(v, str) else
                        {hk: _normalise(hv, pks) for hk, hv in v.items()} if isinstance(v, dict) else v
                        for k, v in vars(m).items()})
    return out


def _swept(world):
    cast, obs, _kinds = _samples(world)
    for user in (world.firm_user, world.district_user):
        user.email_notifications = True
        user.save()
    pks = [ob.pk for ob in obs]
    mail.outbox = []
    reminders.sweep_reminders(today=TODAY)
    sent = []
    for m in sorted(mail.outbox, key=lambda m: m.subject):
        sent.append({
            "subject": m.subject, "body": _normalise(m.body, pks), "from": m.from_email, "to": m.to,
            "headers": {k: _normalise(v, pks) for k, v in m.extra_headers.items()},
            "alternatives": [[_normalise(c, pks), t] for c, t in m.alternatives],
        })
    return sent


def _snapshot():
    return json.loads(SNAPSHOT.read_text(encoding="utf-8"))


def test_the_rendered_reminder_messages_are_unchanged(world):
    got = _rendered(world)
    assert got == _snapshot()["rendered"]
    assert len(got) == 12


def test_the_mails_a_sweep_sends_are_unchanged(world):
    got = _swept(world)
    assert got == _snapshot()["swept"]
    assert got, "the sample sweep sends mail"


@pytest.mark.parametrize("name", ["reminder", "digest", "message"])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_email_templates_with_frozen_translations_render_as_the_engine_renders_them(name, language, world):
    from django.template.loader import render_to_string
    from django.utils import translation

    from notifications.messages import _ConstantTranslateNode, email_template, render_email

    cast, obs, _kinds = _samples(world)
    ob = obs[1]
    context = {"subject": "主题 <b>&", "reminder": Reminder(kind="due"), "obligation": ob, "task": ob.task,
               "campaign": ob.campaign, "party": "月湖花园 <x>", "days_left": 0, "days_overdue": 0, "today": TODAY,
               "url": "http://x/?a=1&b=2", "returned": True, "user": world.city_user, "agency": world.city,
               "groups": [], "count": 0, "firm_count": 0, "title": "标题", "body": "正文 <i>", "link": "/x/"}
    for lang in (language, "zh-hans" if language == "en" else "en", language):  # the cache is per language
        with translation.override(lang):
            expected = (render_to_string(f"notifications/email/{name}.txt", context).strip() + "\n",
                        render_to_string(f"notifications/email/{name}.html", context))
            assert render_email(name, context) == expected
    frozen = email_template(f"notifications/email/{name}.txt").template.nodelist.get_nodes_by_type(
        _ConstantTranslateNode)
    assert frozen


REQUIREMENTS = ["", "在公告栏、出入口和楼道张贴。",
                "要求 <b>&amp;</b> \"引号\" 'x' 100% %(x)s %s\n第二行\x00 0\x00\n" * 12]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_reminder_stencils_render_every_branch_as_the_engine_renders_them(language, world):
    """Each kind x returned x with or without a requirement (short, long with markup, percent signs, line
    breaks and NULs) x manual reminders with and without an agency: the stencil's mail is the template's."""
    from django.template.loader import render_to_string
    from django.utils import translation

    from notifications import messages

    cast, obs, _kinds = _samples(world)
    ob = Obligation.objects.select_related("task__action", "campaign", "estate__firm").get(pk=obs[0].pk)
    with translation.override(language):
        for kind in ["before", "due", "overdue", "manual"]:
            for returned in (False, True):
                for requirement in REQUIREMENTS:
                    for requested_by in ((None, world.district_user, world.firm_user) if kind == "manual" else (None,)):
                        ob.task.requirement = requirement
                        context = {
                            "subject": f"【{kind}】<主题> & {requirement[:5]}", "reminder": Reminder(kind=kind),
                            "obligation": ob, "task": ob.task, "campaign": ob.campaign,
                            "party": "月湖花园 <x> & \"y\"", "days_left": 3, "days_overdue": -3, "today": TODAY,
                            "url": "http://x/?a=1&b=<2>", "requested_by": requested_by, "returned": returned,
                        }
                        expected = (render_to_string("notifications/email/reminder.txt", context).strip() + "\n",
                                    render_to_string("notifications/email/reminder.html", context))
                        assert messages.render_email("reminder", context) == expected
                        assert messages.render_email("reminder", context) == expected  # the stencil, recorded
    for name in ("txt", "html"):
        stencil = messages._stencil(messages.email_template(f"notifications/email/reminder.{name}"))
        assert isinstance(stencil, messages._Stencil)
        assert stencil.shapes and None not in stencil.shapes.values()  # every branch went through the stencil


def test_templates_a_stencil_cannot_reproduce_are_rendered_normally(world):
    """Loops (the digest, the generic message) and {% with %}: no stencil; unchanged output (the test above)."""
    from django.template import engines

    from notifications import messages

    for name in ("digest", "message"):
        assert messages._stencil(messages.email_template(f"notifications/email/{name}.html")) is messages._NO_STENCIL
    ifs = []
    template = engines["django"].from_string("{% with a=b %}{{ a }}{% endwith %}")
    assert not messages._prepare_recording(template.template.nodelist, ifs)
    template = engines["django"].from_string(
        "{% load i18n %}{% blocktranslate count n=k %}{{ n }} 项{% plural %}{{ n }} 项{% endblocktranslate %}")
    assert not messages._prepare_recording(template.template.nodelist, ifs)
    template = engines["django"].from_string("{% if block.super %}x{% endif %}")
    assert not messages._prepare_recording(template.template.nodelist, ifs)
