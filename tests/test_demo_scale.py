"""The demo generator at a province's size (issue 16, item 5): names never run out, the same seed
gives the same registry, and `seed_city` runs."""

import hashlib
import random
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from estates.demo import (
    UniqueNames,
    build_city,
    chinese_number,
    district_count,
    estate_name_makers,
    estate_phase,
    firm_branch,
    firm_name_maker,
    firm_saturated_maker,
)
from estates.models import Estate, PropertyFirm


def registry_hash():
    digest = hashlib.sha256()
    rows = Estate.objects.order_by("code").values_list("code", "name", "street__name", "firm__name")
    for row in rows.iterator():
        digest.update("\x1f".join(row).encode() + b"\x1e")
    return digest.hexdigest()


def test_the_estate_name_generator_yields_200000_distinct_names():
    rng, names = random.Random(2011), UniqueNames(variant=estate_phase)
    drawn = [names.take(*estate_name_makers(rng, old=rng.random() < 0.35)) for _ in range(200_000)]
    assert len(set(drawn)) == 200_000
    assert all(len(name) <= 100 for name in drawn)
    assert any(name.endswith("二期") for name in drawn)


def test_the_firm_name_generator_yields_30000_distinct_names():
    rng, names = random.Random(2011), UniqueNames(variant=firm_branch)
    districts = ["海曙区", "鄞州区", "余姚市"]
    drawn = [names.take(firm_name_maker(rng), firm_saturated_maker(rng, districts[i % 3])) for i in range(30_000)]
    assert len(set(drawn)) == 30_000
    assert all(name.endswith("公司") for name in drawn)


def test_the_same_draws_give_the_same_names():
    def draw(seed):
        rng, names = random.Random(seed), UniqueNames(variant=estate_phase)
        return [names.take(*estate_name_makers(rng, old=False)) for _ in range(20_000)]

    assert draw(1) == draw(1)
    assert draw(1) != draw(2)


@pytest.mark.parametrize(("n", "text"), [(1, "一"), (2, "二"), (10, "十"), (12, "十二"), (20, "二十"), (35, "三十五"),
                                         (100, "一百"), (103, "一百零三"), (120, "一百二十"), (999, "九百九十九")])
def test_phases_are_numbered_in_chinese(n, text):
    assert chinese_number(n) == text


def test_larger_registries_get_more_districts():
    assert district_count(300) == 6
    assert district_count(5000) == 11
    assert district_count(50000) == 16


def hash_of_city(*, estates, seed, build=build_city):
    """Build a city inside a savepoint, hash its registry, roll it back (codes are unique, so two
    builds cannot stand side by side)."""
    with transaction.atomic():
        build(estates=estates, seed=seed)
        assert Estate.objects.count() == estates
        digest = registry_hash()
        transaction.set_rollback(True)
    return digest


@pytest.mark.django_db
def test_two_builds_with_the_same_seed_give_the_same_registry():
    first = hash_of_city(estates=2000, seed=41)
    assert hash_of_city(estates=2000, seed=41) == first
    assert hash_of_city(estates=2000, seed=42) != first


@pytest.mark.django_db
def test_a_city_past_the_old_name_pool_has_unique_names_and_codes():
    # The old generator stopped at about 6,900 estates (864 firm names, a saturating estate pool).
    city = build_city(estates=8000, seed=2011)
    assert city.estates_created == Estate.objects.count() == 8000
    assert Estate.objects.values("name").distinct().count() == 8000
    assert PropertyFirm.objects.values("name").distinct().count() == PropertyFirm.objects.count() == 1000
    assert len(city.districts) == 11


@pytest.mark.django_db
def test_seed_city_command_builds_a_small_city():
    out = StringIO()
    call_command("seed_city", estates=50, seed=3, stdout=out)
    assert Estate.objects.count() == 50
    assert "50 estates (seed 3)" in out.getvalue()


def test_names_from_the_larger_pool_never_repeat_a_word():
    rng, names = random.Random(5), UniqueNames(variant=estate_phase, tries=1)
    names.saturated = True
    drawn = [names.take(*estate_name_makers(rng, old=False)) for _ in range(5000)]
    heads = [name for name in drawn if not name.endswith("期")]
    assert heads and not any(name[:2] == name[2:4] for name in heads)
