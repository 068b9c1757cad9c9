"""Parents' sign-in without Түндүк: PIN, identity document number and an e-mail
address or a mobile number, then the six-digit code sent there."""
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Regexp, ValidationError
from wtforms.widgets import HiddenInput

from forms.base import BaseForm
from portal.admission.sign_in import CODE_MINUTES, mobile_number, valid_email


def _digits_only(value):
    # People type PINs and codes with spaces or dashes, as printed on documents.
    if value is None:
        return value
    return "".join(ch for ch in value if ch not in " -\u00a0").strip()


def _contact(form, field):
    if "@" in (field.data or ""):
        if not valid_email(field.data):
            raise ValidationError(_l("Enter an e-mail address like name@example.kg."))
    elif mobile_number(field.data) is None:
        raise ValidationError(_l("Enter an e-mail address like name@example.kg, or a mobile number like"
                                 " +996 555 123 456."))


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
    id_document = StringField(
        _l("The number of your identity document"),
        description=_l("As printed in your ID card or passport, for example ID1234567. We check it in the"
                       " population registry, so that nobody else can sign in with your PIN."),
        filters=[lambda value: value.strip() if value else value],
        validators=[InputRequired(_l("Enter the number of your ID card or passport.")),
                    Length(max=32, message=_l("This number is too long. Check it in your document."))],
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"},
    )
    contact = StringField(
        _l("Your e-mail address or mobile number"),
        description=_l("We send a six-digit code there, and later every message about your applications."),
        filters=[lambda value: value.strip() if value else value],
        validators=[InputRequired(_l("Enter your e-mail address or mobile number.")), _contact],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )

    def contact_fields(self):
        """`email=` or `phone=` for the domain, by what was typed."""
        value = self.contact.data
        return {"email": value} if "@" in value else {"phone": value}

    submit = SubmitField(_l("Send me a code"))


class CodeForm(BaseForm):
    code = StringField(
        _l("The code we sent you"),
        description=_l("Six digits. The code is valid for %(minutes)s minutes.", minutes=CODE_MINUTES),
        filters=[_digits_only],
        validators=[
            InputRequired(_l("Enter the code we sent you.")),
            Regexp(r"^[0-9]{6}$", message=_l("The code has six digits.")),
        ],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code"},
    )
    submit = SubmitField(_l("Sign in"))


class RemoveContactForm(BaseForm):
    """One button per contact; the contact's id travels in a hidden field."""

    contact_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    submit = SubmitField(_l("Remove"))
