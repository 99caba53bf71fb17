"""factory-boy factories and helpers for the campaign engine (tests of every app may use them).

``CampaignFactory`` builds a draft campaign of the city; ``TaskFactory`` a task with its
action and campaign; ``publish(campaign)`` publishes it. ``load_ningbo(city)`` loads the
shipped Ningbo 2011 template as a draft. ``PHOTO``/``PDF`` return small uploads.
"""

import datetime
from pathlib import Path

import factory
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from campaigns import services
from campaigns.models import Action, Campaign, EvidenceFile, PartyKind, Recurrence, Task
from tests.factories import CityFactory

TEMPLATES = Path(settings.BASE_DIR) / "fixtures" / "campaigns"
NINGBO = TEMPLATES / "ningbo-2011.json"
CHENGDU = TEMPLATES / "chengdu-2013.json"


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"2011年测试创建活动{n}")
    year = 2011
    issuing_agency = factory.SubFactory(CityFactory)
    start_date = datetime.date(2011, 7, 1)
    end_date = datetime.date(2011, 12, 31)


class ActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Action

    campaign = factory.SubFactory(CampaignFactory)
    order = factory.Sequence(lambda n: n + 1)
    code = factory.Sequence(lambda n: f"action-{n}")
    name = factory.Sequence(lambda n: f"专项行动{n}")


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task
        skip_postgeneration_save = True

    action = factory.SubFactory(ActionFactory)
    order = factory.Sequence(lambda n: n + 1)
    code = factory.Sequence(lambda n: f"task-{n}")
    title = factory.Sequence(lambda n: f"工作任务{n}")
    requirement = "按要求完成并上传佐证材料。"
    window_start = datetime.date(2011, 7, 22)
    deadline = datetime.date(2011, 7, 31)
    party_kind = PartyKind.ESTATE
    recurrence = Recurrence.ONCE
    min_count = 1
    evidence_kinds = factory.LazyFunction(lambda: ["text"])

    @factory.post_generation
    def districts(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.districts.set(extracted)


def publish(campaign, user=None):
    return services.campaign_publish(campaign=campaign, user=user)


def load_ningbo(city, **kwargs):
    return services.campaign_load_template(path=NINGBO, issuing_agency=city, **kwargs)


def photo(name="photo.jpg"):
    # A minimal JPEG header is enough: content checks belong to the upload form.
    return SimpleUploadedFile(name, b"\xff\xd8\xff\xe0" + b"0" * 64, content_type="image/jpeg")


def pdf(name="report.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4\n%test\n", content_type="application/pdf")


PHOTO = EvidenceFile.Kind.PHOTO
DOCUMENT = EvidenceFile.Kind.DOCUMENT
ROSTER = EvidenceFile.Kind.ROSTER
