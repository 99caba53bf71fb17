"""factory-boy factories for the registry. Other apps add theirs in their own modules."""

import itertools

import factory
from stdnum.cn import uscc

from accounts.models import User
from estates.models import Agency, Coordinator, Estate, PropertyFirm

_code_counter = itertools.count(1)


def valid_credit_code(n):
    body = f"91330200MA{n:07d}"
    return body + uscc.calc_check_digit(body)


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"测试机构{n}")
    level = Agency.Level.CITY


class CityFactory(AgencyFactory):
    name = factory.Sequence(lambda n: f"测试市住房和城乡建设委员会{n}")
    level = Agency.Level.CITY


class DistrictFactory(AgencyFactory):
    name = factory.Sequence(lambda n: f"测试{n}区住建局")
    level = Agency.Level.DISTRICT
    parent = factory.SubFactory(CityFactory)


class StreetFactory(AgencyFactory):
    name = factory.Sequence(lambda n: f"测试{n}街道")
    level = Agency.Level.STREET
    parent = factory.SubFactory(DistrictFactory)


class CommunityFactory(AgencyFactory):
    name = factory.Sequence(lambda n: f"测试{n}社区")
    level = Agency.Level.COMMUNITY
    parent = factory.SubFactory(StreetFactory)


class FirmFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PropertyFirm

    name = factory.Sequence(lambda n: f"测试物业服务有限公司{n}")
    credit_code = factory.Sequence(lambda n: valid_credit_code(n + 1))
    grade = PropertyFirm.Grade.TWO
    district = factory.SubFactory(DistrictFactory)
    hotline = "0574-87000001"
    complaint_phone = "0574-87000002"


class EstateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Estate

    code = factory.Sequence(lambda n: f"T{n:05d}")
    name = factory.Sequence(lambda n: f"测试花园{n}")
    street = factory.SubFactory(StreetFactory)
    district = factory.LazyAttribute(lambda o: o.street.parent)
    firm = factory.SubFactory(FirmFactory, district=factory.SelfAttribute("..district"))
    category = Estate.Category.TWO
    year_built = 2005
    households = 500


class CoordinatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Coordinator

    estate = factory.SubFactory(EstateFactory)
    name = "王协调"
    phone = "13800000000"
    appointed_on = factory.Faker("date_this_decade")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests-1")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()
