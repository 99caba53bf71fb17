"""Shared parts of the documents benchmarks: a throwaway database, peak memory, seeding.

Every benchmark runs in a fresh database next to the configured one (a SQLite file in a
temporary folder, or a new PostgreSQL database), migrated at the start and dropped at the
end, so real data is never touched. Time, queries and peak memory are measured by core/bench.py,
the one helper of every benchmark command.
"""

import os
import random
import tempfile
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from django.db import connection


@contextmanager
def throwaway_database(stdout, prefix):
    test_settings = connection.settings_dict.setdefault("TEST", {})
    if connection.vendor == "sqlite":
        directory = Path(tempfile.mkdtemp(prefix=f"{prefix}-"))
        test_settings["NAME"] = str(directory / "bench.sqlite3")
    else:
        test_settings["NAME"] = f"{prefix.replace('-', '_')}_{os.getpid()}"
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    stdout.write(f"database: {connection.vendor} {connection.settings_dict['NAME']} (throwaway)")
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def ratio(value, floor):
    return f"{value / floor:.2f}×" if floor else "—"


def seed_city(*, estates, seed=2011):
    """The demo city of estates.demo (deterministic) and a city officer."""
    from accounts.models import User
    from estates.demo import build_city

    city = build_city(estates=estates, seed=seed)
    user = User.objects.create(username="bench-city", agency=city.city)
    return city, user


def seed_campaign(*, city, as_of, accepted=0.45, submitted=0.15, returned=0.05, seed=2011):
    """Load the Ningbo template shifted so that ``as_of`` falls in its middle, publish it
    and move a share of the obligations on (accepted / submitted / returned), plus
    trainings and activities, with a few bulk statements."""
    from campaigns import services as campaign_services
    from campaigns.models import Activity, Obligation, Training

    path = Path(__file__).resolve().parents[3] / "fixtures" / "campaigns" / "ningbo-2011.json"
    data = campaign_services.read_template(path)
    shift = campaign_services.shift_to_middle(data, as_of)
    campaign = campaign_services.campaign_load_template(data=data, issuing_agency=city.city, date_shift=shift)
    campaign_services.campaign_publish(campaign=campaign)
    rng = random.Random(seed)
    ids = list(Obligation.objects.filter(campaign=campaign, due_date__lt=as_of + timedelta(days=30))
               .values_list("pk", flat=True))
    rng.shuffle(ids)
    a, s, r = int(len(ids) * accepted), int(len(ids) * submitted), int(len(ids) * returned)
    for state, chunk in ((Obligation.State.ACCEPTED, ids[:a]), (Obligation.State.SUBMITTED, ids[a:a + s]),
                         (Obligation.State.RETURNED, ids[a + s:a + s + r])):
        for i in range(0, len(chunk), 900):
            Obligation.objects.filter(pk__in=chunk[i:i + 900]).update(state=state)
    trainings = []
    for firm in city.firms[: max(1, len(city.firms) // 3)]:
        trainings.append(Training(date=as_of - timedelta(days=rng.randint(1, 40)), topic="物业服务规范内部培训",
                                  organiser_firm=firm, audience="项目经理、客服、保洁、秩序维护人员",
                                  attendee_count=rng.randint(10, 60)))
    for district in city.districts:
        trainings.append(Training(date=as_of - timedelta(days=rng.randint(1, 40)), topic="文明物业创建专题培训",
                                  organiser_agency=district, audience="街道、社区、业委会、项目经理",
                                  attendee_count=rng.randint(60, 200)))
    Training.objects.bulk_create(trainings)
    kinds = [k for k, _label in Activity.Kind.choices]
    Activity.objects.bulk_create([
        Activity(kind=kinds[i % 3], date=as_of - timedelta(days=rng.randint(1, 60)), title="邻里活动",
                 firm=firm, participant_count=rng.randint(20, 120))
        for i, firm in enumerate(city.firms)
    ])
    return campaign
