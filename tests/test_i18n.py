"""The English UI: the en catalogue is complete, in step with the code and compiled; pages follow the language.

Chinese is the source language (LANGUAGE_CODE zh-hans); English (locale/en) must translate every string.
`make messages` refreshes the catalogue from the code and compiles it.
"""

import re
import shutil
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from estates.models import Agency, Estate, PropertyFirm

LOCALE = Path(settings.BASE_DIR) / "locale"
PO_PATH = LOCALE / "en" / "LC_MESSAGES" / "django.po"
MO_PATH = LOCALE / "en" / "LC_MESSAGES" / "django.mo"

# What `make messages` leaves out of the scan (besides hidden directories, which makemessages always skips).
NOT_SCANNED = {".venv", "node_modules", "media", "staticfiles", "locale", "static/vendor"}
SCANNED_SUFFIXES = {".py", ".html", ".txt"}  # the extensions makemessages reads for the "django" domain

# %(name)s, %s, %d, %% … as Python's %-formatting reads them; {name} for brace-format strings.
PERCENT_PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")
BRACE_PLACEHOLDER = re.compile(r"\{[^{}\s]*\}")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")

FIX = "Run `make messages`, translate the new entries in locale/en/LC_MESSAGES/django.po, compile, commit .po and .mo."


def _catalogue():
    return polib.pofile(str(PO_PATH))


def _entries():
    return [e for e in _catalogue() if not e.obsolete]


def _key(entry):
    return entry.msgctxt, entry.msgid, entry.msgid_plural


def _where(entry):
    return ", ".join(f"{path}:{line}" for path, line in entry.occurrences[:2])


def _translations(entry):
    if entry.msgid_plural:
        return [entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


# --- (a) the catalogue itself ----------------------------------------------------------------------------------

def test_en_catalogue_has_no_untranslated_entries():
    untranslated = [e for e in _entries() if not all(_translations(e))]
    assert not untranslated, f"{len(untranslated)} untranslated: " + "; ".join(
        f"{e.msgid!r} ({_where(e)})" for e in untranslated[:20])


def test_en_catalogue_has_no_fuzzy_entries():
    # gettext skips fuzzy entries when compiling, so a fuzzy entry shows Chinese on the English pages.
    fuzzy = [e for e in _entries() if "fuzzy" in e.flags]
    assert not fuzzy, f"{len(fuzzy)} fuzzy (check the guess, then drop the flag): " + "; ".join(
        f"{e.msgid!r} ({_where(e)})" for e in fuzzy[:20])


def test_en_translations_keep_exactly_the_placeholders_of_their_msgid():
    wrong = []
    for entry in _entries():
        sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
        patterns = [PERCENT_PLACEHOLDER] if "python-format" in entry.flags else []
        patterns += [BRACE_PLACEHOLDER] if "python-brace-format" in entry.flags else []
        for pattern in patterns:
            expected = Counter(pattern.findall(entry.msgid))
            for source in sources[1:]:
                expected |= Counter(pattern.findall(source))
            for text in _translations(entry):
                if text and Counter(pattern.findall(text)) != expected:
                    wrong.append(f"{entry.msgid!r} -> {text!r}")
        # Named placeholders are checked even where xgettext did not flag the entry as python-format.
        named = set(re.findall(r"%\(\w+\)[sd]", entry.msgid))
        for text in _translations(entry):
            if text and not named <= set(re.findall(r"%\(\w+\)[sd]", text)):
                wrong.append(f"{entry.msgid!r} -> {text!r}")
    assert not wrong, "placeholders differ: " + "; ".join(wrong[:20])


def test_en_plural_entries_have_both_english_forms():
    # English has two plural forms (nplurals=2); a plural entry with one empty form shows nothing for that count.
    catalogue = _catalogue()
    assert catalogue.metadata["Plural-Forms"].replace(" ", "") == "nplurals=2;plural=(n!=1);"
    wrong = [e.msgid for e in _entries() if e.msgid_plural and sorted(e.msgstr_plural) != [0, 1]]
    assert not wrong, f"plural entries without exactly two forms: {wrong}"


def test_compiled_en_catalogue_matches_the_po_file():
    # `make run` on a fresh machine uses the committed .mo without gettext tools, so it must be compiled.
    def pairs(catalogue):
        return {
            _key(e): tuple(_translations(e))
            for e in catalogue
            if e.msgid and not e.obsolete and "fuzzy" not in e.flags and all(_translations(e))
        }

    compiled = pairs(polib.mofile(str(MO_PATH)))
    source = pairs(_catalogue())
    stale = sorted(repr(k[1]) for k in source.keys() ^ compiled.keys())
    stale += sorted(repr(k[1]) for k in source.keys() & compiled.keys() if source[k] != compiled[k])
    assert not stale, f"django.mo is out of date ({len(stale)} entries differ, e.g. {stale[:5]}): run `make messages`"


# --- (b) the catalogue covers the code -------------------------------------------------------------------------

def _copy_scanned_sources(target):
    """Copy what `make messages` scans into target: makemessages writes a temporary `x.html.py` beside every
    template it reads, so it must not run on the shared working tree while other processes use it."""
    base = Path(settings.BASE_DIR)
    for path in base.rglob("*"):
        relative = path.relative_to(base)
        parts = relative.parts
        if any(p.startswith(".") for p in parts) or parts[0] in NOT_SCANNED:
            continue
        if any("/".join(parts[:i]) in NOT_SCANNED for i in range(2, len(parts) + 1)):
            continue
        if path.suffix in SCANNED_SUFFIXES and path.is_file():
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)


def test_every_string_the_code_translates_is_in_the_en_catalogue(tmp_path, settings, monkeypatch):
    if not (shutil.which("xgettext") and shutil.which("msguniq") and shutil.which("msgmerge")):
        pytest.skip("GNU gettext (xgettext, msguniq, msgmerge) is not installed: apt-get install gettext")
    source = tmp_path / "src"
    _copy_scanned_sources(source)
    settings.LOCALE_PATHS = [str(source / "locale")]
    monkeypatch.chdir(source)
    call_command("makemessages", locale=["en"], verbosity=0)

    extracted = polib.pofile(str(source / "locale" / "en" / "LC_MESSAGES" / "django.po"))
    catalogue = {_key(e) for e in _entries() if all(_translations(e)) and "fuzzy" not in e.flags}
    missing = [e for e in extracted if e.msgid and _key(e) not in catalogue]
    assert not missing, f"{len(missing)} strings of the code have no English translation: " + "; ".join(
        f"{e.msgid!r} ({_where(e)})" for e in missing[:20]) + ". " + FIX


# --- (c) pages follow the language -----------------------------------------------------------------------------

LOGIN = reverse("accounts:login")
DASHBOARD = reverse("portal:dashboard")
ESTATE_CHANGELIST = reverse("admin:estates_estate_changelist")


def _chinese_outside_the_data(html):
    """CJK text left on a page once the registry's own names (data, not interface) are taken out."""
    data = {"简体中文"}  # the language switch names each language in itself
    for agency in Agency.objects.all():
        data |= {agency.name, agency.short_name}
    for firm in PropertyFirm.objects.all():
        data |= {firm.name, firm.address}
    for estate in Estate.objects.all():
        data |= {estate.name, estate.address}
    for text in sorted(filter(None, data), key=len, reverse=True):
        html = html.replace(text, "")
    return sorted(set(CJK.findall(html)))


@pytest.mark.django_db
def test_login_page_is_chinese_by_default(client):
    html = client.get(LOGIN).content.decode()
    assert '<html lang="zh-Hans"' in html
    assert "主管部门与物业服务企业登录" in html


@pytest.mark.django_db
def test_login_page_is_english_when_the_browser_asks_for_english(client):
    html = client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").content.decode()
    assert '<html lang="en"' in html
    assert "Login for authorities and property management firms" in html
    assert "主管部门与物业服务企业登录" not in html


def test_language_switch_turns_the_firm_dashboard_english(client, world):
    client.force_login(world.firm_user)
    response = client.post(reverse("set_language"), {"language": "en", "next": DASHBOARD})
    assert response.status_code == 302 and response.url == DASHBOARD
    html = client.get(DASHBOARD).content.decode()
    assert "Firm home" in html and "Managed estates and service phones" in html and "Grade 1" in html
    assert "企业首页" not in html


def test_firm_dashboard_is_chinese_without_a_language_choice(client, world):
    client.force_login(world.firm_user)
    html = client.get(DASHBOARD).content.decode()
    assert "企业首页" in html and "一级资质" in html
    assert "Firm home" not in html


def test_admin_estate_changelist_is_english_with_the_language_cookie(client, world):
    client.force_login(world.district_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(ESTATE_CHANGELIST).content.decode()
    assert "Civilised Property Management Campaign Platform" in html
    assert "Estate code" in html and "Estate name" in html and "Year built" in html and "Category 1" in html
    assert "Select Estate to change" in html
    assert "小区编码" not in html and "住宅小区" not in html


@pytest.mark.parametrize("page, role", [(LOGIN, None), (DASHBOARD, "firm_user"), (ESTATE_CHANGELIST, "city_user")])
def test_english_page_shows_no_chinese_outside_the_data(client, world, page, role):
    if role:
        client.force_login(getattr(world, role))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(page)
    assert response.status_code == 200
    assert _chinese_outside_the_data(response.content.decode()) == []
