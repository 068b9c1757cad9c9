"""The base form of every form, with WTForms' own messages in our three languages.

WTForms and Flask-WTF translate their built-in messages ("This field is required.")
through `Meta.get_translations`; their catalogues have no Kyrgyz, so `BaseForm` looks
the messages up in our catalogue first (translations/<lang>/messages.po) and falls back
to WTForms' catalogue for anything we have not translated (it has Russian). The
messages we rely on are listed in `_builtin_messages` so that extraction puts them in
our catalogue.
"""
from flask_babel import get_translations, gettext, ngettext
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations as wtforms_translations


class CatalogueTranslations:
    """WTForms' translations interface (gettext, ngettext) over our Flask-Babel catalogue.

    Looked up on every call, so the request's locale (or a job's `force_locale`) applies.
    """

    def gettext(self, string):
        translated = get_translations().ugettext(string)
        if translated != string:
            return translated
        return wtforms_translations.gettext(string)

    def ngettext(self, singular, plural, n):
        translated = get_translations().ungettext(singular, plural, n)
        if translated not in (singular, plural):
            return translated
        return wtforms_translations.ngettext(singular, plural, n)


catalogue_translations = CatalogueTranslations()


class BaseForm(FlaskForm):
    """Every form inherits this: CSRF from Flask-WTF, messages from our catalogue."""

    class Meta:
        def get_translations(self, form):
            return catalogue_translations


def _builtin_messages():  # pragma: no cover - never called; Babel reads the calls
    """WTForms / Flask-WTF messages our forms can show, so that they are extracted.

    The msgids must be exactly WTForms' own (wtforms/locale/wtforms.pot). Add one here
    when a form starts relying on another built-in validator.
    """
    # wtforms.validators
    gettext("This field is required.")
    gettext("Invalid input.")
    gettext("Invalid email address.")
    gettext("Field must be equal to %(other_name)s.")
    gettext("Field must be between %(min)d and %(max)d characters long.")
    ngettext("Field must be at least %(min)d character long.",
             "Field must be at least %(min)d characters long.", 1)
    ngettext("Field cannot be longer than %(max)d character.",
             "Field cannot be longer than %(max)d characters.", 1)
    ngettext("Field must be exactly %(max)d character long.",
             "Field must be exactly %(max)d characters long.", 1)
    gettext("Number must be at least %(min)s.")
    gettext("Number must be at most %(max)s.")
    gettext("Number must be between %(min)s and %(max)s.")
    gettext("Invalid value, must be one of: %(values)s.")
    # wtforms.fields
    gettext("Not a valid choice.")
    gettext("Invalid Choice: could not coerce.")
    gettext("Not a valid integer value.")
    gettext("Not a valid decimal value.")
    gettext("Not a valid date value.")
    # flask_wtf.file (FileRequired says "This field is required." too)
    gettext("File does not have an approved extension: {extensions}")
    gettext("File does not have an approved extension.")
