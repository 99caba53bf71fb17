"""The suggestion box's demo entries for `make run` (core/demo.py step 40, after the campaign and its reminders).

A few dozen entries of the demo city's first district, deterministic (seeded random), received over the
last four weeks and played through the services as if on their days, so the inbox, the bureau's pages and
the league table have content: new ones within their deadline, late ones (reminded and escalated by the
overdue sweep), acknowledged and in progress, answered, resolved and rated, closed with a reason, referred
to the district, and one reopened. The demo firm (the `demo-firm` account's, created first) gets about a
third of them, with two reply templates. Mail is discarded (the console backend would print every
message); the in-app notifications and the outbox log are real. Does nothing when entries exist.
"""

import datetime
import os
import random
from contextlib import contextmanager
from unittest import mock

from django.db import transaction
from django.db.models import Count
from django.test.utils import override_settings
from django.utils import timezone

from core import workdays
from core.demo import register_demo_step
from estates.demo import mobile, person_name
from estates.models import Agency, Estate

from . import services, sweeps
from .models import Category, ReplyTemplate, Suggestion

TEXTS = {
    Category.ENVIRONMENT: ["3 号楼楼道里堆了很多杂物，好几天没人清理。", "垃圾分类点的厨余垃圾桶满了，味道很大。",
                           "小区东侧绿化带里有积水，蚊子很多。"],
    Category.SAFETY: ["晚上小区北门没有保安值守，陌生人随便进出。", "地下车库有电动车在充电，担心起火。"],
    Category.FACILITIES: ["5 号楼电梯这周坏了两次，老人上下楼很不方便。", "小区东门的路灯坏了三天，晚上回家很不安全。",
                          "单元门的门禁刷卡失灵，门一直关不上。"],
    Category.GREENING: ["中心花园的树枝太长，挡住了二楼的窗户。", "草坪很久没有修剪了，杂草比人还高。"],
    Category.FEES: ["物业费收费标准是多少？希望能公示收支情况。", "停车费涨价前没有征求业主意见。"],
    Category.ATTITUDE: ["报修电话打了三次都没人接。", "客服人员说话态度不好，问题也没解决。"],
    Category.OTHER: ["希望小区能组织一些老年人活动。", "快递柜太少，经常放不下。"],
}
REPLIES = ["已收到，我们已安排工作人员今天下午到现场查看。", "已联系维修师傅，预计明天上午修好，请您谅解。",
           "感谢您的反映，已安排保洁人员加强清理。"]
RESOLVED = ["已处理完毕，请您查看。", "已修复，并加强了日常巡查。", "已清理完毕，今后每天巡查一次。"]
CLOSE_REASONS = ["经核实，该事项需业主大会表决后实施，已在公告栏公示表决安排。"]
REFER_REASONS = ["该事项属于城市管理部门职责，已转区主管部门协调处理。"]
TEMPLATES = [("已安排维修", "您好，您反映的问题已收到，我们已安排维修人员尽快上门处理，处理完成后会及时告知您。"),
             ("已加强保洁", "感谢您的反映，我们已安排保洁人员加强清理，并增加巡查次数。")]
# What happens to each entry: (share, outcome). Outcomes are played in order of their steps.
OUTCOMES = [(0.14, "new"), (0.12, "late"), (0.10, "acknowledged"), (0.10, "answered"), (0.30, "rated"),
            (0.08, "resolved"), (0.06, "closed"), (0.05, "referred"), (0.05, "reopened")]


@contextmanager
def _clock(moment):
    """The services stamp their steps with timezone.now(): the demo plays each step on its own day."""
    with mock.patch.object(timezone, "now", return_value=moment):
        yield


def _at(day, hour, minute=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _outcome(rng):
    roll, total = rng.random(), 0.0
    for share, outcome in OUTCOMES:
        total += share
        if roll < total:
            return outcome
    return OUTCOMES[-1][1]


def _demo_firm():
    from accounts.demo import DEFAULT_DEMO_PASSWORD, ensure_demo_accounts
    from accounts.models import User

    ensure_demo_accounts(password=os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD)
    return User.objects.filter(username="demo-firm").select_related("firm").first()


def load_demo_suggestions(*, today=None, seed=2011, count=45):
    """Play ``count`` entries once; returns the number created (0 when entries exist)."""
    if Suggestion.private_objects.exists():
        return 0
    user = _demo_firm()
    if user is None or user.firm_id is None:
        return 0
    today = today or timezone.localdate()
    rng = random.Random(seed)
    district = Agency.objects.filter(level=Agency.Level.DISTRICT).order_by("pk").first()
    own = list(Estate.objects.filter(firm=user.firm, is_active=True).order_by("code")[:6])
    others = list(Estate.objects.filter(district=district, is_active=True).exclude(firm=user.firm)
                  .exclude(firm__isnull=True).order_by("code"))
    # Other firms of the district, each with enough entries to be ranked in the league table.
    firms = sorted({e.firm_id for e in others})[:5]
    pool = own * 3 + [e for e in others if e.firm_id in firms][:25]
    if not pool:
        return 0
    handlers = _handlers({e.firm_id for e in pool}, user)
    for title, text in TEMPLATES:
        ReplyTemplate.objects.get_or_create(firm=user.firm, title=title, defaults={"text": text})
    calendar = workdays.WorkdayCalendar(today - datetime.timedelta(days=40), today)
    created = 0
    # One transaction: the outbox sends once, after it (not after each of the entries' steps).
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"), transaction.atomic():
        for i in range(count):
            estate = pool[i % len(pool)]
            handler = handlers.get(estate.firm_id)
            outcome = _outcome(rng) if handler else "new"
            created += _play(estate, handler, outcome, rng, today, calendar)
        sweeps.sweep_overdue(today=today)
    return created


def _handlers(firm_ids, demo_user):
    """A user per firm to act for it: the demo account for its firm, else one demo user of that firm."""
    from accounts.models import User

    users = {demo_user.firm_id: demo_user}
    missing = firm_ids - set(users)
    for u in User.objects.filter(firm_id__in=missing, is_active=True).order_by("pk"):
        users.setdefault(u.firm_id, u)
    for firm_id in firm_ids - set(users):
        users[firm_id] = User.objects.create_user(username=f"duty-firm-{firm_id}", firm_id=firm_id,
                                                  first_name="值班", last_name="客服", password=None)
    return users


def _play(estate, user, outcome, rng, today, calendar):
    category = rng.choice(list(TEXTS))
    if outcome in ("new",):
        received = _at(today - datetime.timedelta(days=rng.choice([0, 0, 1])), rng.randint(7, 20))
    elif outcome == "late":
        received = _at(today - datetime.timedelta(days=rng.randint(4, 12)), rng.randint(7, 20))
    else:
        received = _at(today - datetime.timedelta(days=rng.randint(5, 28)), rng.randint(7, 20))
    if received > timezone.now():
        received = timezone.now() - datetime.timedelta(minutes=rng.randint(5, 120))
    anonymous = rng.random() < 0.2
    entry = services.suggestion_submit(
        estate=estate, category=category, text=rng.choice(TEXTS[category]),
        name="" if anonymous else person_name(rng), mobile="" if anonymous else mobile(rng), anonymous=anonymous,
        consent_contact=not anonymous and rng.random() < 0.7, client_address=f"198.51.100.{rng.randint(1, 250)}",
        received=received)
    if outcome in ("new", "late"):
        return 1
    day = timezone.localdate(received)
    # On time mostly; a quarter of the firms' steps come a working day late.
    slow = rng.random() < 0.25
    ack_day = calendar.add_workdays(day, 2 if slow else (0 if rng.random() < 0.5 else 1))
    steps = [(ack_day, lambda e: services.suggestion_acknowledge(suggestion=e, user=user))]
    answer_day = calendar.add_workdays(ack_day, 1 if slow or rng.random() < 0.4 else 0)
    if outcome in ("answered", "rated", "resolved", "reopened"):
        steps.append((answer_day, lambda e: services.suggestion_reply(suggestion=e, user=user,
                                                                     text=rng.choice(REPLIES))))
    if outcome in ("rated", "resolved", "reopened"):
        steps.append((calendar.add_workdays(answer_day, 1), lambda e: services.suggestion_resolve(
            suggestion=e, user=user, text=rng.choice(RESOLVED))))
    if outcome == "closed":
        steps.append((answer_day, lambda e: services.suggestion_close(suggestion=e, user=user,
                                                                     reason=CLOSE_REASONS[0])))
    if outcome == "referred":
        steps.append((answer_day, lambda e: services.suggestion_refer(suggestion=e, user=user,
                                                                     reason=REFER_REASONS[0])))
    last = day
    for when, step in steps:
        when = min(max(when, last), today)
        moment = min(_at(when, rng.randint(9, 17), rng.randint(0, 59)), timezone.now())
        moment = max(moment, received + datetime.timedelta(minutes=30))
        with _clock(moment):
            entry = step(entry)
        last = when
    if outcome in ("rated", "reopened") and entry.state == Suggestion.State.RESOLVED:
        rating = rng.choice([5, 5, 4, 4, 3]) if outcome == "rated" else 2
        with _clock(min(timezone.now(), entry.finished_at + datetime.timedelta(hours=5))):
            entry = services.suggestion_rate(suggestion=entry, rating=rating,
                                             comment="" if rating > 3 else "处理得太慢了。")
        if outcome == "reopened":
            with _clock(min(timezone.now(), entry.finished_at + datetime.timedelta(hours=6))):
                services.suggestion_reopen(suggestion=entry, text="问题又出现了，请再来看看。")
    return 1


def demo_suggestions_step(command, **options):
    """The setup_demo step (core/demo.py)."""
    created = load_demo_suggestions()
    if not created:
        command.stdout.write("Demo suggestion box: entries already there (or no demo firm); nothing added.")
        return
    states = dict(Suggestion.private_objects.values_list("state").annotate(n=Count("pk")).order_by())
    summary = ", ".join(f"{k} {v}" for k, v in sorted(states.items()))
    command.stdout.write(f"Demo suggestion box: {created} entries ({summary}).")


register_demo_step(40, demo_suggestions_step)
