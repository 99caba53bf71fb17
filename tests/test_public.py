"""The public estate page /e/<code>/: the target of the QR codes on printed notices."""

import re

import pytest
from django.urls import reverse

from estates.models import Estate, PropertyFirm
from tests import factories as f


def _url(code):
    return reverse("public:estate", args=[code])


@pytest.fixture
def public_estate(world):
    """月湖花园 with its own hotline, the firm's complaint phone, an owners' committee and private data around it."""
    Estate.objects.filter(pk=world.estate.pk).update(
        address="宁波市海曙区月湖东路 88 号", hotline="0574-87650000", complaint_phone="",
        has_owners_committee=True, households=98765,
    )
    PropertyFirm.objects.filter(pk=world.firm.pk).update(
        contact_person="张秘书", contact_phone="13900001111", email="boss@yuehu.example.com",
        complaint_phone="0574-87009999",
    )
    f.CoordinatorFactory(estate=world.estate, name="赵协调", phone="13712345678")
    world.estate.refresh_from_db()
    return world.estate


def test_public_url_is_short_and_stable():
    assert _url("HS001") == "/e/HS001/"


def test_page_opens_without_login(client, public_estate):
    response = client.get(_url("HS001"))
    assert response.status_code == 200
    assert response.templates[0].name == "public/estate.html"
    assert "public/base.html" in [t.name for t in response.templates]


def test_page_shows_name_address_and_managing_firm(client, public_estate):
    html = client.get(_url("HS001")).content.decode()
    for text in ("月湖花园", "宁波市海曙区月湖东路 88 号", "月湖物业"):
        assert text in html


def test_page_shows_the_estates_own_hotline_as_a_call_link(client, public_estate):
    html = client.get(_url("HS001")).content.decode()
    assert 'href="tel:057487650000"' in html
    assert "0574-87000001" not in html  # the firm's hotline is not shown when the estate has its own


def test_complaint_phone_falls_back_to_the_firms(client, public_estate):
    html = client.get(_url("HS001")).content.decode()
    assert 'href="tel:057487009999"' in html and "0574-87009999" in html


def test_hotline_falls_back_to_the_firms_when_the_estate_has_none(client, world):
    html = client.get(_url("HS002")).content.decode()
    assert 'href="tel:057487000001"' in html


@pytest.mark.parametrize(("has_committee", "text"), [(True, "已成立"), (False, "尚未成立")])
def test_page_shows_the_owners_committee_status(client, world, has_committee, text):
    Estate.objects.filter(pk=world.estate.pk).update(has_owners_committee=has_committee)
    html = client.get(_url("HS001")).content.decode()
    assert f"<dt>业主委员会</dt>\n      <dd>{text}</dd>" in html


def test_estate_without_firm_says_so_and_has_no_call_links(client, world):
    Estate.objects.filter(pk=world.estate.pk).update(firm=None, hotline="", complaint_phone="")
    html = client.get(_url("HS001")).content.decode()
    assert "暂无（未委托物业服务企业）" in html
    assert "物业服务电话尚未登记" in html
    assert 'href="tel:' not in html


@pytest.mark.parametrize(
    "private",
    ["张秘书", "13900001111", "boss@yuehu.example.com", "赵协调", "13712345678", "98765",
     "监管"],
)
def test_page_exposes_no_private_data(client, public_estate, private):
    html = client.get(_url("HS001")).content.decode()
    assert private not in html
    assert public_estate.firm.credit_code not in html


def test_page_links_nowhere_inside_the_portal_or_admin(client, public_estate):
    html = client.get(_url("HS001")).content.decode()
    assert "/admin/" not in html and "/portal/" not in html


def test_unknown_code_is_404(client, world):
    assert client.get(_url("NOPE01")).status_code == 404


def test_inactive_estate_is_404(client, world):
    Estate.objects.filter(pk=world.estate.pk).update(is_active=False)
    assert client.get(_url("HS001")).status_code == 404


def test_code_typed_in_lower_case_still_opens(client, world):
    assert client.get(_url("hs001")).status_code == 200


def test_logged_in_users_of_any_organisation_see_the_same_page(client, world):
    client.force_login(world.other_firm_user)
    response = client.get(_url("HS001"))
    assert response.status_code == 200 and "月湖花园" in response.content.decode()


def test_page_reads_the_estate_in_one_query(client, public_estate, django_assert_num_queries):
    with django_assert_num_queries(1):
        client.get(_url("HS001"))


def test_page_is_mobile_first_and_accessible(client, public_estate):
    html = client.get(_url("HS001")).content.decode()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert '<html lang="zh-Hans">' in html
    assert '<body class="public">' in html
    assert 'href="#main"' in html  # skip link for keyboard users
    assert '<h1 id="estate-name"' in html
    # The call button is named by its visible text (label and number), not by an aria-label that says something
    # else (WCAG 2.5.3 label in name; axe-core's label-content-name-mismatch in tests/browser/test_accessibility.py).
    call = re.search(r'<a class="btn btn-primary public-call" href="tel:057487650000">(.*?)</a>', html, re.S)
    assert call and "服务热线" in call.group(1) and "0574-87650000" in call.group(1)


def test_page_offers_large_text_and_the_language_switch(client, public_estate):
    html = client.get(_url("HS001")).content.decode()
    assert 'id="text-size-toggle" aria-pressed="false"' in html
    assert f'action="{reverse("set_language")}"' in html


def test_page_switches_to_english(client, public_estate):
    client.post(reverse("set_language"), {"language": "en", "next": _url("HS001")})
    assert '<html lang="en">' in client.get(_url("HS001")).content.decode()
