"""suggestions/abuse.py and the form: who is sending, rate limits, honeypot, the proof-of-work challenge."""

import base64
import datetime
import html
import json
import re

import altcha
import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from suggestions import abuse
from suggestions.models import Suggestion, UsedChallenge

TEXT = "楼道里的灯坏了好几天，晚上上下楼很不方便。"


def url(code="HS001"):
    return reverse("suggestions:suggest", args=[code])


def data(n=0, **overrides):
    return {"category": "facilities", "text": f"{TEXT}（第 {n} 次）", **overrides}


def post(client, code="HS001", address="198.51.100.20", **fields):
    return client.post(url(code), data(**fields), REMOTE_ADDR=address)


def age_all(minutes):
    """Time passes: every entry moves ``minutes`` into the past."""
    for entry in Suggestion.private_objects.all():
        Suggestion.private_objects.filter(pk=entry.pk).update(
            submitted_at=entry.submitted_at - datetime.timedelta(minutes=minutes))


def solve(challenge_json):
    challenge = altcha.Challenge.from_dict(json.loads(challenge_json))
    return altcha.Payload(challenge, altcha.solve_challenge(challenge)).to_base64()


def page_challenge(response):
    match = re.search(r'<altcha-widget[^>]* challenge="([^"]+)"', response.content.decode())
    assert match, "no challenge on the page"
    return html.unescape(match[1])


@pytest.fixture
def no_challenge(settings):
    settings.SUGGESTION_CHALLENGE_AFTER = 0


# --- the sender's address ------------------------------------------------------------------------

@pytest.mark.parametrize("remote, forwarded, expected", [
    ("203.0.113.9", "", "203.0.113.9"),
    ("203.0.113.9", "1.2.3.4", "203.0.113.9"),  # not from a trusted proxy: the header is the sender's invention
    ("127.0.0.1", "198.51.100.7", "198.51.100.7"),  # our proxy says who it is
    ("127.0.0.1", "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # the left part is the sender's to write
    ("127.0.0.1", "198.51.100.7, 127.0.0.1", "198.51.100.7"),  # two of our proxies in a row
    ("127.0.0.1", "", "127.0.0.1"),
    ("127.0.0.1", "garbage", "127.0.0.1"),
    ("::1", "2001:db8::5", "2001:db8::5"),
    ("not an address", "198.51.100.7", ""),
])
def test_the_sender_is_the_remote_address_or_what_a_trusted_proxy_says(settings, remote, forwarded, expected):
    settings.SUGGESTION_TRUSTED_PROXIES = ["127.0.0.1", "::1"]
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert abuse.client_address(request) == expected


def test_trusted_proxies_may_be_networks(settings):
    settings.SUGGESTION_TRUSTED_PROXIES = ["10.0.0.0/8"]
    request = RequestFactory().get("/", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert abuse.client_address(request) == "198.51.100.7"


# --- rate limits ----------------------------------------------------------------------------------

def test_the_hourly_limit_per_estate_triggers_and_saves_nothing(client, world, no_challenge, settings):
    settings.SUGGESTION_RATE_PER_HOUR = 5
    for n in range(5):
        assert post(client, n=n).status_code == 302
    response = post(client, n=5, name="张阿姨")
    body = response.content.decode()
    assert response.status_code == 429
    assert "一小时内已为本小区提交了 5 条意见" in body and "分钟后再提交" in body
    assert world.estate.effective_hotline in body  # the phone as the alternative
    assert "张阿姨" in body and TEXT in body  # nothing typed is lost
    assert Suggestion.private_objects.count() == 5
    before = client.get(url(), REMOTE_ADDR="198.51.100.20").content.decode()  # said before anything is typed
    assert "暂时不能再提交" in before and "没有丢失" not in before


def test_the_hourly_limit_is_per_estate_and_per_sender(client, world, no_challenge, settings):
    settings.SUGGESTION_RATE_PER_HOUR = 2
    post(client, n=1)
    post(client, n=2)
    assert post(client, n=3).status_code == 429
    assert post(client, "HS002", n=4).status_code == 302  # another estate
    assert post(client, address="198.51.100.99", n=5).status_code == 302  # another sender


def test_the_hourly_limit_resets_after_an_hour(client, world, no_challenge, settings):
    settings.SUGGESTION_RATE_PER_HOUR = 2
    post(client, n=1)
    post(client, n=2)
    assert post(client, n=3).status_code == 429
    age_all(61)
    assert post(client, n=4).status_code == 302


def test_the_wait_is_counted_from_the_oldest_entry_in_the_window(world, submit, settings):
    settings.SUGGESTION_RATE_PER_HOUR = 2
    submit(client_address="198.51.100.20")
    submit(client_address="198.51.100.20")
    age_all(45)
    limited = abuse.check_rate(estate=world.estate, sender_hash=Suggestion.private_objects.first().client_hash)
    assert limited and 14 <= limited.minutes <= 16


def test_the_daily_limit_per_sender_spans_estates(client, world, no_challenge, settings):
    settings.SUGGESTION_RATE_PER_HOUR, settings.SUGGESTION_RATE_PER_DAY = 100, 3
    for n, code in enumerate(["HS001", "HS002", "JB001"]):
        assert post(client, code, n=n).status_code == 302
    response = post(client, "HS002", n=9)
    assert response.status_code == 429 and "今天已提交了 3 条意见" in response.content.decode()
    age_all(24 * 60 + 1)
    assert post(client, "HS002", n=10).status_code == 302


def test_the_daily_limit_per_mobile_holds_across_addresses(client, world, no_challenge, settings):
    settings.SUGGESTION_RATE_PER_DAY = 2
    post(client, address="198.51.100.1", mobile="13800138000", n=1)
    post(client, address="198.51.100.2", mobile="+86 138 0013 8000", n=2)
    response = post(client, address="198.51.100.3", mobile="138-0013-8000", n=3)
    assert response.status_code == 429 and "该手机号码今天已提交了 2 条意见" in response.content.decode()
    assert post(client, address="198.51.100.3", n=4).status_code == 302  # without the mobile
    assert Suggestion.private_objects.count() == 3


def test_hotline_entries_do_not_count_against_web_senders(world, submit, settings):
    settings.SUGGESTION_RATE_PER_DAY = 1
    submit(source=Suggestion.Source.HOTLINE, external_id="12345-1", mobile="13800138000")
    assert abuse.check_rate(estate=world.estate, sender_hash="", mobile="13800138000") is None


def test_a_limit_of_zero_is_off(world, submit, settings):
    settings.SUGGESTION_RATE_PER_HOUR = 0
    entry = submit()
    assert abuse.check_rate(estate=world.estate, sender_hash=entry.client_hash) is None


def test_limits_are_counted_with_a_constant_number_of_queries(world, submit, django_assert_num_queries):
    entry = submit()
    for _ in range(3):
        submit()
    with django_assert_num_queries(1):
        activity = abuse.Activity(estate=world.estate, sender_hash=entry.client_hash, mobile=entry.mobile)
        activity.limited(), activity.needs_challenge()


# --- honeypot ---------------------------------------------------------------------------------------

def test_a_bot_filling_the_honeypot_sees_a_normal_page_and_nothing_is_saved(client, world):
    response = post(client, website="http://spam.example/")
    assert response.status_code == 200
    assert "提交成功" in response.content.decode()
    assert not Suggestion.private_objects.exists()


def test_the_honeypot_is_hidden_from_people_and_assistive_technology(client, world):
    body = client.get(url()).content.decode()
    hp = re.search(r'<div class="sugg-hp" aria-hidden="true">.*?</div>', body, re.S)
    assert hp and 'name="website"' in hp[0] and 'tabindex="-1"' in hp[0] and 'autocomplete="off"' in hp[0]


# --- the challenge after a burst ---------------------------------------------------------------------

def test_the_challenge_appears_from_the_third_entry_within_an_hour(client, world, settings):
    settings.SUGGESTION_CHALLENGE_AFTER = 3
    sender = {"REMOTE_ADDR": "198.51.100.20"}
    assert "altcha-widget" not in client.get(url(), **sender).content.decode()
    post(client, n=1)
    assert "altcha-widget" not in client.get(url(), **sender).content.decode()
    post(client, n=2)
    page = client.get(url(), **sender).content.decode()
    assert "altcha-widget" in page and "vendor/altcha/altcha.umd.min.js" in page
    assert "<noscript>" in page and "JavaScript" in page  # the plain-text fallback
    assert "altcha-widget" not in client.get(url(), REMOTE_ADDR="198.51.100.21").content.decode()
    age_all(61)
    assert "altcha-widget" not in client.get(url(), **sender).content.decode()


def _burst(client):
    post(client, n=1)
    post(client, n=2)


def test_without_a_solution_the_entry_is_refused_and_kept_on_the_form(client, world):
    _burst(client)
    response = post(client, n=3, name="赵师傅")
    body = response.content.decode()
    assert response.status_code == 200
    assert "请先完成下方的“我不是机器人”验证" in body and "赵师傅" in body
    assert Suggestion.private_objects.count() == 2


def test_a_valid_solution_passes_once_and_a_replay_fails(client, world):
    _burst(client)
    payload = solve(page_challenge(client.get(url(), REMOTE_ADDR="198.51.100.20")))
    assert post(client, n=3, altcha=payload).status_code == 302
    assert Suggestion.private_objects.count() == 3
    assert UsedChallenge.objects.count() == 1
    replay = post(client, n=4, altcha=payload)
    assert replay.status_code == 200 and "验证" in replay.content.decode()
    assert Suggestion.private_objects.count() == 3


def test_a_forged_challenge_fails(world):
    # Signed with another secret: not ours.
    forged = altcha.create_challenge(abuse.ALTCHA_ALGORITHM, 10, hmac_secret="not-our-secret",
                                     expires_at=timezone.now() + datetime.timedelta(minutes=5))
    payload = solve(json.dumps(forged.to_dict()))
    assert abuse.verify_challenge(payload) is False


def test_an_unsigned_challenge_fails(world):
    unsigned = altcha.create_challenge(abuse.ALTCHA_ALGORITHM, 10)
    assert abuse.verify_challenge(solve(json.dumps(unsigned.to_dict()))) is False


def test_a_tampered_solution_fails(world):
    payload = json.loads(base64.b64decode(solve(abuse.new_challenge())))
    payload["solution"]["counter"] += 1
    payload["solution"]["derivedKey"] = "00" * 32
    assert abuse.verify_challenge(base64.b64encode(json.dumps(payload).encode()).decode()) is False


def test_tampered_parameters_fail(world):
    payload = json.loads(base64.b64decode(solve(abuse.new_challenge())))
    payload["challenge"]["parameters"]["cost"] = 1
    assert abuse.verify_challenge(base64.b64encode(json.dumps(payload).encode()).decode()) is False


def test_an_expired_challenge_fails(world):
    old = abuse.new_challenge(now=timezone.now() - abuse.ALTCHA_TTL - datetime.timedelta(minutes=1))
    assert abuse.verify_challenge(solve(old)) is False


@pytest.mark.parametrize("garbage", ["", "x", "e30=", "!!!", "a" * 5000, base64.b64encode(b"[1,2]").decode()])
def test_garbage_fails_without_an_error(world, garbage):
    assert abuse.verify_challenge(garbage) is False


def test_redeemed_challenges_are_forgotten_once_expired(world):
    UsedChallenge.objects.create(salt="old", expires_at=timezone.now() - datetime.timedelta(minutes=1))
    assert abuse.verify_challenge(solve(abuse.new_challenge()))
    assert list(UsedChallenge.objects.values_list("salt", flat=True)) != ["old"]
    assert not UsedChallenge.objects.filter(salt="old").exists()
