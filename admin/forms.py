"""Forms of the staff portal.

`AdminForm` is the base of Flask-Admin's generated model forms: WTForms'
messages come from our catalogue (Kyrgyz included), as in the public forms.
The other forms are ours and inherit `forms.BaseForm` (Flask-WTF, with the
CSRF field `csrf_token`). CSRF itself is checked for every POST by
CSRFProtect, Flask-Admin's pages included (they render `csrf_token()`).
"""
from flask_admin.form import BaseForm as FlaskAdminBaseForm
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FileField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional, Regexp

from forms.base import BaseForm, catalogue_translations
from portal.models.quota import LANGUAGES
from portal.staff_accounts import MIN_PASSWORD_LENGTH


class AdminForm(FlaskAdminBaseForm):
    class Meta:
        def get_translations(self, form):
            return catalogue_translations


# --- signing in -------------------------------------------------------------------------
class SignInForm(BaseForm):
    email = StringField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


class CodeForm(BaseForm):
    code = StringField(_l("Six-digit code from the authenticator app"),
                       validators=[DataRequired(), Regexp(r"^\s*\d{6}\s*$", message=_l("Enter the six digits."))])


class NewPasswordForm(BaseForm):
    password = PasswordField(_l("New password"),
                             validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=1024)])
    confirm = PasswordField(_l("The new password again"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))])


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=1024)])


class CurrentPasswordForm(BaseForm):
    """A change that an open session alone must not make (turning the second factor off)."""

    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=1024)])


class ResetRequestForm(BaseForm):
    email = StringField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])


class ConfirmForm(BaseForm):
    """A button that changes something: only the CSRF token travels."""


# --- work forms ------------------------------------------------------------------------
def language_choices():
    from admin.labels import LANGUAGE

    return [(code, LANGUAGE[code]) for code in LANGUAGES]


class ClassSetSeatsForm(BaseForm):
    class_set_id = HiddenField(validators=[DataRequired()])
    seats = IntegerField(_l("Seats"), validators=[DataRequired(), NumberRange(min=1, max=99)])


class ClassSetLanguageForm(BaseForm):
    class_set_id = HiddenField(validators=[DataRequired()])
    language = SelectField(_l("Language of instruction"), choices=language_choices)


class AddClassSetForm(BaseForm):
    seats = IntegerField(_l("Seats"), validators=[Optional(), NumberRange(min=1, max=99)])


class AddAddressForm(BaseForm):
    school_id = SelectField(_l("School"), coerce=int)
    address_id = StringField(_l("Address code"), validators=[DataRequired(), Length(max=32)])
    reason = TextAreaField(_l("Reason: how the applicant proved the registration"),
                           validators=[DataRequired(), Length(max=2000)])


class ImportAddressesForm(BaseForm):
    file = FileField(_l("CSV or XLSX file with the columns school_code, address_id"))
    reason = StringField(_l("Reason for adding"), validators=[DataRequired(), Length(max=2000)])


class AnswerAppealForm(BaseForm):
    answer = TextAreaField(_l("Answer"), validators=[DataRequired(), Length(max=4000)])
    # Offered only for an appeal against a rejected proof (R7, R9).
    uphold = BooleanField(_l("Uphold the appeal: the proof counts as accepted and the application is restored"))


class CommissionDecisionForm(BaseForm):
    number = StringField(_l("Number of the decision"), validators=[DataRequired(), Length(max=50)])
    decided_on = DateField(_l("Date of the decision"), validators=[DataRequired()])
    child_pin = StringField(_l("Child's PIN"), validators=[DataRequired(), Regexp(r"^\d{14}$")])
    applicant_pin = StringField(_l("PIN of the parent or legal representative"),
                                validators=[DataRequired(), Regexp(r"^\d{14}$")])
    school_code = SelectField(_l("School"))
    language = SelectField(_l("Language of instruction"), choices=language_choices)
    grounds = TextAreaField(_l("Grounds"), validators=[DataRequired(), Length(max=4000)])


class ProvisionForm(BaseForm):
    role = SelectField(_l("Role"))
    rows = TextAreaField(_l("One user per line: e-mail, full name, scope code"), validators=[Optional()])
    file = FileField(_l("or a CSV file with the columns email, full_name, scope"))


class VerifyDocumentForm(BaseForm):
    document_id = HiddenField(validators=[DataRequired()])
    accept = BooleanField()
