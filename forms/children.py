"""Adding a child the registry does not show (2026 text, obligations of the
applicant: "добавить их у себя в личном кабинете"). Only what identifies the
child and the birth certificate the school compares later (R14)."""
from flask_babel import lazy_gettext as _l
from wtforms import DateField, RadioField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from forms.base import BaseForm
from forms.choices import options


def _digits_only(value):
    # As printed: "2 0703 2020 01961", "123 456".
    if value is None:
        return value
    return "".join(ch for ch in value if ch not in " -\u00a0").strip()


def _stripped(value):
    return " ".join(value.split()) if value else value


def _name(label, message, *, required=True):
    return StringField(label, filters=[_stripped],
                       validators=[InputRequired(message) if required else Optional(),
                                   Length(max=100, message=_l("This is too long: at most 100 characters."))],
                       render_kw={"autocomplete": "off", "spellcheck": "false"})


class AddChildForm(BaseForm):
    pin = StringField(
        _l("The child's personal identification number (PIN)"),
        description=_l("14 digits, as in the birth certificate."),
        filters=[_digits_only],
        validators=[InputRequired(_l("Enter the child's PIN.")),
                    Regexp(r"^[0-9]{14}$", message=_l("A PIN has 14 digits. Check the number in the birth "
                                                      "certificate."))],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"},
    )
    last_name = _name(_l("The child's last name"), _l("Enter the child's last name."))
    first_name = _name(_l("The child's first name"), _l("Enter the child's first name."))
    patronymic = _name(_l("The child's patronymic (if any)"), None, required=False)
    sex = RadioField(
        _l("Sex"),
        choices=options([("F", _l("Girl")), ("M", _l("Boy"))]),
        validators=[InputRequired(_l("Choose girl or boy."))],
    )
    birth_date = DateField(
        _l("Date of birth"),
        description=_l("As in the birth certificate."),
        validators=[InputRequired(_l("Enter the date of birth."))],
    )
    certificate_series = StringField(
        _l("Series of the birth certificate"),
        description=_l("For example I-АН."),
        filters=[_stripped],
        validators=[InputRequired(_l("Enter the series of the birth certificate.")),
                    Length(max=16, message=_l("This is too long. Check it in the birth certificate."))],
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"},
    )
    certificate_number = StringField(
        _l("Number of the birth certificate"),
        description=_l("The digits after №."),
        filters=[_digits_only],
        validators=[InputRequired(_l("Enter the number of the birth certificate.")),
                    Regexp(r"^[0-9]{4,12}$", message=_l("The number has only digits. Check it in the birth "
                                                        "certificate."))],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"},
    )
    submit = SubmitField(_l("Add the child"))
