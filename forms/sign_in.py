"""Parents' sign-in: PIN and e-mail, then the six-digit code from the mail."""
from flask_babel import lazy_gettext as _l
from wtforms import StringField, SubmitField
from wtforms.validators import InputRequired, Regexp, ValidationError

from forms.base import BaseForm
from portal.admission.sign_in import CODE_MINUTES, valid_email


def _digits_only(value):
    # People type PINs and codes with spaces or dashes, as printed on documents.
    if value is None:
        return value
    return "".join(ch for ch in value if ch not in " -\u00a0").strip()


def _e_mail(form, field):
    if not valid_email(field.data):
        raise ValidationError(_l("Enter an e-mail address like name@example.kg."))


class SignInForm(BaseForm):
    pin = StringField(
        _l("Your personal identification number (PIN)"),
        description=_l("14 digits, as in your passport or ID card."),
        filters=[_digits_only],
        validators=[
            InputRequired(_l("Enter your PIN.")),
            Regexp(r"^[0-9]{14}$", message=_l("A PIN has 14 digits. Check the number in your passport or ID card.")),
        ],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"},
    )
    email = StringField(
        _l("Your e-mail address"),
        description=_l("We send a six-digit code to this address."),
        filters=[lambda value: value.strip() if value else value],
        validators=[InputRequired(_l("Enter your e-mail address.")), _e_mail],
        render_kw={"type": "email", "autocomplete": "email", "spellcheck": "false"},
    )
    submit = SubmitField(_l("Send me a code"))


class CodeForm(BaseForm):
    code = StringField(
        _l("The code from the e-mail"),
        description=_l("Six digits. The code is valid for %(minutes)s minutes.", minutes=CODE_MINUTES),
        filters=[_digits_only],
        validators=[
            InputRequired(_l("Enter the code from the e-mail.")),
            Regexp(r"^[0-9]{6}$", message=_l("The code has six digits.")),
        ],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code"},
    )
    submit = SubmitField(_l("Sign in"))
