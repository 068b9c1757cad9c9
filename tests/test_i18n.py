"""Languages: the catalogues are complete, match the code and are compiled; the
locale is chosen by the user's choice, then Accept-Language, then Kyrgyz.

When a catalogue test fails after you added or changed a message, run
`.venv/bin/python -m portal.i18n_tools update`, translate the empty entries of
translations/{ky,ru,en}/LC_MESSAGES/messages.po, and run it again
(docs/translations.md).
"""
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from babel.messages.mofile import read_mo
from babel.support import Translations
from flask import render_template_string
from flask_babel import force_locale, gettext
from wtforms import StringField
from wtforms.i18n import messages_path
from wtforms.validators import DataRequired, IPAddress, Length, Optional

from forms import BaseForm
from portal import create_app, i18n_tools
from portal.config import TestConfig

LANGUAGES = i18n_tools.LANGUAGES
HOW_TO_FIX = "run `.venv/bin/python -m portal.i18n_tools update`, translate, run it again"
BRACE_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


@pytest.fixture(scope="module")
def catalogues():
    return {language: i18n_tools.read_catalogue(language) for language in LANGUAGES}


@pytest.fixture(scope="module")
def extracted_keys():
    return i18n_tools.message_keys(i18n_tools.extract_messages())


def translated(language, msgid):
    """What the compiled catalogue says for `msgid`, the way the app reads it."""
    return Translations.load(str(i18n_tools.TRANSLATIONS_DIR), [language]).ugettext(msgid)


def html_lang(response):
    return re.search(r'<html lang="([^"]*)"', response.get_data(as_text=True)).group(1)


def _string(message):
    # read_mo gives plural forms as a list, read_po as a tuple
    return tuple(message.string) if isinstance(message.string, (list, tuple)) else message.string


def _keys_text(keys):
    return "\n".join(sorted(i18n_tools._key(key) for key in keys))


# (a) the catalogues are complete and match the code


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_of_the_catalogue_is_translated_and_not_fuzzy(catalogues, language):
    missing = i18n_tools.untranslated(catalogues[language])
    assert not missing, (
        f"{language}: {len(missing)} untranslated or fuzzy message(s) ({HOW_TO_FIX}):\n"
        + "\n".join(i18n_tools._describe(message) for message in missing)
    )


def test_the_three_catalogues_hold_the_same_messages(catalogues):
    keys = {language: i18n_tools.message_keys(catalog) for language, catalog in catalogues.items()}
    first = LANGUAGES[0]
    for language in LANGUAGES[1:]:
        assert keys[language] == keys[first], (
            f"only in {first}:\n{_keys_text(keys[first] - keys[language])}\n"
            f"only in {language}:\n{_keys_text(keys[language] - keys[first])}\n({HOW_TO_FIX})"
        )


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_in_the_code_is_in_the_catalogue(catalogues, extracted_keys, language):
    missing = extracted_keys - i18n_tools.message_keys(catalogues[language])
    assert not missing, f"{language}: in the code but not in the catalogue ({HOW_TO_FIX}):\n{_keys_text(missing)}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_holds_no_message_the_code_no_longer_uses(catalogues, extracted_keys, language):
    stale = i18n_tools.message_keys(catalogues[language]) - extracted_keys
    assert not stale, f"{language}: no longer in the code ({HOW_TO_FIX}):\n{_keys_text(stale)}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders_of_their_message(catalogues, language):
    # Fuzzy entries are not used (and fail the test above), so only real translations count.
    problems = [
        f"{i18n_tools._describe(message)}: {error}"
        for message, errors in catalogues[language].check()
        if not message.fuzzy
        for error in errors
    ]
    # Babel checks %(name)s; {name} (Flask-WTF's messages, str.format) is ours to check.
    for message in catalogues[language]:
        if message.fuzzy:
            continue
        ids = message.id if isinstance(message.id, (tuple, list)) else (message.id,)
        strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
        wanted = set(BRACE_PLACEHOLDER.findall(" ".join(ids)))
        for string in strings:
            if string and set(BRACE_PLACEHOLDER.findall(string)) != wanted:
                problems.append(f"{i18n_tools._describe(message)}: placeholders {sorted(wanted)} in {string!r}")
    assert not problems, "\n".join(problems)


def test_extraction_reads_python_lazy_calls_plurals_pages_and_mails(tmp_path):
    # A small tree over the real babel.cfg: proves the mapping and the keywords, so the
    # tests above cannot pass by extracting nothing.
    shutil.copy(i18n_tools.MAPPING_FILE, tmp_path / "babel.cfg")
    (tmp_path / "portal" / "templates" / "mail").mkdir(parents=True)
    (tmp_path / "forms").mkdir()
    (tmp_path / "portal" / "rules.py").write_text(
        "from flask_babel import gettext as _, lazy_gettext as _l, lazy_gettext, ngettext\n"
        "A = _l('lazy alias')\nB = lazy_gettext('lazy')\n"
        "def f(n):\n    return _('plain'), ngettext('%(num)d seat', '%(num)d seats', n)\n"
    )
    (tmp_path / "forms" / "child.py").write_text("from flask_babel import lazy_gettext\nL = lazy_gettext('label')\n")
    (tmp_path / "portal" / "templates" / "page.html").write_text(
        "{{ _('in a page') }} {% trans %}a block{% endtrans %}"
    )
    (tmp_path / "portal" / "templates" / "mail" / "note.txt").write_text("{{ _('in a mail') }}")
    keys = i18n_tools.message_keys(i18n_tools.extract_messages(tmp_path))
    assert keys == {
        (None, "lazy alias"), (None, "lazy"), (None, "plain"), (None, ("%(num)d seat", "%(num)d seats")),
        (None, "label"), (None, "in a page"), (None, "a block"), (None, "in a mail"),
    }


# (b) the compiled .mo files are those of the .po files


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_mo_file_matches_its_po_file(catalogues, language):
    catalog = catalogues[language]
    incomplete = {(message.context, i18n_tools._msgid(message)) for message in i18n_tools.untranslated(catalog)}
    expected = {
        (message.context, i18n_tools._msgid(message)): _string(message)
        for message in catalog
        if message.id and (message.context, i18n_tools._msgid(message)) not in incomplete
    }
    with open(i18n_tools.mo_path(language), "rb") as fileobj:
        compiled = read_mo(fileobj)
    actual = {(message.context, i18n_tools._msgid(message)): _string(message) for message in compiled if message.id}
    assert actual == expected, f"{i18n_tools.mo_path(language)} is out of date: {HOW_TO_FIX}"
    assert compiled.plural_forms == catalog.plural_forms


# the update command


def test_update_keeps_translations_adds_new_messages_and_drops_unused_ones(tmp_path):
    root, translations = tmp_path / "code", tmp_path / "translations"
    (root / "portal").mkdir(parents=True)
    shutil.copy(i18n_tools.MAPPING_FILE, root / "babel.cfg")
    source = root / "portal" / "pages.py"
    source.write_text("from flask_babel import gettext as _\nA = _('Hello')\nB = _('Old')\n")
    quiet = dict(echo=lambda *args: None)

    i18n_tools.update(translations, root=root, **quiet)
    ky = translations / "ky" / "LC_MESSAGES" / "messages.po"
    ky.write_text(ky.read_text().replace('msgid "Hello"\nmsgstr ""', 'msgid "Hello"\nmsgstr "Салам"'))
    source.write_text("from flask_babel import gettext as _\nA = _('Hello')\nC = _('New')\n")
    i18n_tools.update(translations, root=root, **quiet)

    catalog = i18n_tools.read_catalogue("ky", translations)
    assert catalog.get("Hello").string == "Салам"
    assert catalog.get("New").string == ""
    assert catalog.get("Old") is None
    assert Translations.load(str(translations), ["ky"]).ugettext("Hello") == "Салам"
    assert i18n_tools.update(translations, root=root, **quiet) == [], "a second run must change nothing"


def test_update_run_twice_changes_nothing_the_second_time(tmp_path):
    copy = tmp_path / "translations"
    shutil.copytree(i18n_tools.TRANSLATIONS_DIR, copy)
    i18n_tools.update(copy, echo=lambda *args: None)
    before = {path: path.read_bytes() for path in copy.rglob("*") if path.is_file()}
    assert i18n_tools.update(copy, echo=lambda *args: None) == []
    assert {path: path.read_bytes() for path in copy.rglob("*") if path.is_file()} == before


# (c) the locale of a request


def test_default_page_is_kyrgyz(client):
    response = client.get("/")
    assert response.status_code == 200
    assert html_lang(response) == "ky"
    body = response.get_data(as_text=True)
    assert translated("ky", "Skip to main content") in body
    assert "Skip to main content" not in body


def test_accept_language_ru_gives_russian(client):
    response = client.get("/", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.8"})
    assert html_lang(response) == "ru"
    assert translated("ru", "Skip to main content") in response.get_data(as_text=True)
    assert "Accept-Language" in response.headers["Vary"]


def test_unsupported_accept_language_falls_back_to_kyrgyz(client):
    assert html_lang(client.get("/", headers={"Accept-Language": "de-DE,de;q=0.9"})) == "ky"


def test_locale_of_one_request_does_not_leak_into_the_next(client):
    assert html_lang(client.get("/", headers={"Accept-Language": "ru"})) == "ru"
    assert html_lang(client.get("/")) == "ky"


def test_chosen_language_is_remembered_and_wins_over_accept_language(client):
    response = client.get("/lang/en", query_string={"next": "/"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    for _ in range(2):
        page = client.get("/", headers={"Accept-Language": "ru"})
        assert html_lang(page) == "en"
        assert "Skip to main content" in page.get_data(as_text=True)
    client.get("/lang/ky")
    assert html_lang(client.get("/", headers={"Accept-Language": "ru"})) == "ky"


@pytest.mark.parametrize("code", ["xx", "de", "KY", "ky-KG"])
def test_unknown_language_code_is_404_and_changes_nothing(client, code):
    assert client.get(f"/lang/{code}").status_code == 404
    assert html_lang(client.get("/")) == "ky"


@pytest.mark.parametrize("target", [
    "https://evil.example",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "http:evil.example",
    "javascript:alert(1)",
    "/\t/evil.example",
])
def test_redirect_after_choosing_a_language_never_leaves_the_site(client, target):
    response = client.get("/lang/ru", query_string={"next": target})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert urlsplit(location).netloc in ("", "localhost"), location
    assert not location.startswith(("//", "/\\")), location
    assert "evil.example" not in urlsplit(location).netloc


def test_redirect_after_choosing_a_language_returns_to_the_page_of_this_site(client):
    response = client.get("/lang/ru", query_string={"next": "/healthz?x=1"})
    assert response.headers["Location"] == "/healthz?x=1"


def test_json_api_follows_accept_language_without_a_session_choice(client):
    russian = client.get("/api/v1/me", headers={"Accept-Language": "ru"})
    assert russian.status_code == 401
    assert russian.json["error"]["message"] == translated("ru", "Please sign in again.")
    kyrgyz = client.get("/api/v1/me")
    assert kyrgyz.json["error"]["message"] == translated("ky", "Please sign in again.")


def test_outside_a_request_the_locale_is_kyrgyz_unless_forced():
    # Not the `app` fixture: pytest-flask would push a request context with it, and a
    # command or a job has none.
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI="sqlite://")
    with app.app_context():
        assert gettext("Skip to main content") == translated("ky", "Skip to main content")
        with force_locale("ru"):
            assert gettext("Skip to main content") == translated("ru", "Skip to main content")
        assert gettext("Skip to main content") == translated("ky", "Skip to main content")


# WTForms' built-in messages come from our catalogue (WTForms has no Kyrgyz)


class _ChildForm(BaseForm):
    name = StringField(validators=[DataRequired()])
    code = StringField(validators=[Optional(), Length(min=3)])
    address = StringField(validators=[Optional(), IPAddress()])


@pytest.fixture
def form_errors(app):
    @app.post("/_test/form")
    def validate_child_form():
        form = _ChildForm()
        form.validate()
        return render_template_string(
            "{% for field in form %}{% for e in field.errors %}{{ field.name }}: {{ e }}\n{% endfor %}{% endfor %}",
            form=form,
        )

    def submit(client, headers=None, **data):
        lines = client.post("/_test/form", data=data, headers=headers or {}).get_data(as_text=True).splitlines()
        return dict(line.split(": ", 1) for line in lines)

    return submit


def test_required_field_error_renders_in_kyrgyz(client, form_errors):
    errors = form_errors(client, name="")
    assert errors["name"] == translated("ky", "This field is required.")
    assert errors["name"] != "This field is required."


def test_wtforms_plural_message_renders_in_russian(client, form_errors):
    errors = form_errors(client, {"Accept-Language": "ru"}, name="Айбек", code="ab")
    expected = Translations.load(str(i18n_tools.TRANSLATIONS_DIR), ["ru"]).ungettext(
        "Field must be at least %(min)d character long.", "Field must be at least %(min)d characters long.", 3
    ) % {"min": 3}
    assert errors == {"code": expected}


def test_wtforms_message_we_do_not_translate_falls_back_to_wtforms_own_russian(client, form_errors):
    errors = form_errors(client, {"Accept-Language": "ru"}, name="Айбек", address="not an address")
    wtforms_russian = Translations.load(messages_path(), ["ru"], domain="wtforms").ugettext("Invalid IP address.")
    assert errors == {"address": wtforms_russian} and wtforms_russian != "Invalid IP address."


def test_catalogue_files_are_where_the_app_reads_them(app):
    assert Path(app.config["BABEL_TRANSLATION_DIRECTORIES"]) == i18n_tools.TRANSLATIONS_DIR
    assert Path(app.config["BABEL_TRANSLATION_DIRECTORIES"]).is_absolute()
    for language in LANGUAGES:
        assert i18n_tools.mo_path(language).is_file()
