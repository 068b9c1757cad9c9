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


class DayField(DateField):
    """A date field whose refusal of a bad value names the field (issue 16: never a bare
    "Not a valid value" that leaves the reader to guess which field and why)."""

    def __init__(self, label=None, validators=None, *, invalid=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.invalid = invalid

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(self.invalid)) from None


def _sexes():
    return [("", _l("(choose)")), ("F", _l("Girl")), ("M", _l("Boy"))]


def _applicant_roles():
    return [("parent", _l("Parent")), ("legal_representative", _l("Legal representative (guardian, trustee)")),
            ("child_protection", _l("Worker of the child-protection body")), ("other", _l("Another person"))]


def _message_locales():
    return [("ky", "Кыргызча"), ("ru", "Русский"), ("en", "English")]


class CommissionDecisionForm(BaseForm):
    """The secretary's form (R12, §9, §26, §3). Formats are checked by
    `portal.admission.commission`, whose refusals name the field; only lengths are
    checked here, each with a message that says which field."""

    number = StringField(_l("Protocol number of the decision"), validators=[
        DataRequired(message=_l("Protocol number: enter the number of the commission's protocol.")),
        Length(max=50, message=_l("Protocol number: at most 50 characters."))])
    decided_on = DayField(_l("Date of the protocol"), validators=[
        DataRequired(message=_l("Date of the protocol: enter the date of the commission's decision."))],
        invalid=_l("Date of the protocol: enter a date such as 2026-09-02."))
    school_code = SelectField(_l("School"), validate_choice=False)
    language = SelectField(_l("Language of instruction"), choices=language_choices, validate_choice=False)
    grounds = TextAreaField(_l("Grounds"), validators=[
        DataRequired(message=_l("Grounds: write what the decision rests on.")),
        Length(max=4000, message=_l("Grounds: at most 4000 characters."))])
    child_pin = StringField(_l("Child's PIN (leave empty if the child has none: a temporary identifier is given)"),
                            validators=[Optional(), Length(max=20, message=_l("Child's PIN: a PIN is 14 digits."))])
    child_last_name = StringField(_l("Child's last name (without a PIN)"), validators=[
        Optional(), Length(max=100, message=_l("Child's last name: at most 100 characters."))])
    child_first_name = StringField(_l("Child's first name (without a PIN)"), validators=[
        Optional(), Length(max=100, message=_l("Child's first name: at most 100 characters."))])
    child_patronymic = StringField(_l("Child's patronymic (without a PIN, if any)"), validators=[
        Optional(), Length(max=100, message=_l("Child's patronymic: at most 100 characters."))])
    child_birth_date = DayField(_l("Child's date of birth (without a PIN)"), validators=[Optional()],
                                invalid=_l("Child's date of birth: enter a date such as 2018-05-10."))
    child_sex = SelectField(_l("Child's sex (without a PIN)"), choices=_sexes, validate_choice=False)
    applicant_role = SelectField(_l("Applicant is"), choices=_applicant_roles, validate_choice=False)
    applicant_name = StringField(_l("Applicant's full name"), validators=[
        DataRequired(message=_l("Applicant's name: enter the full name of the person the commission names.")),
        Length(max=200, message=_l("Applicant's name: at most 200 characters."))])
    applicant_pin = StringField(_l("Applicant's PIN (if the applicant has one)"), validators=[
        Optional(), Length(max=20, message=_l("Applicant's PIN: a PIN is 14 digits."))])
    applicant_phone = StringField(_l("Applicant's mobile number"), validators=[
        Optional(), Length(max=32, message=_l("Applicant's mobile number: too long for a phone number."))])
    applicant_email = StringField(_l("Applicant's e-mail"), validators=[
        Optional(), Length(max=254, message=_l("Applicant's e-mail: at most 254 characters."))])
    message_locale = SelectField(_l("Language of the messages to the applicant"), choices=_message_locales,
                                 validate_choice=False, default="ky")


class JoinChildPinForm(BaseForm):
    pin = StringField(_l("The child's PIN, as the population registry now shows it"), validators=[
        DataRequired(message=_l("PIN: enter the child's 14-digit PIN."))])


class SpecialSchoolReferralForm(BaseForm):
    conclusion_number = StringField(_l("Number of the PMPK conclusion"), validators=[
        DataRequired(message=_l("Number of the PMPK conclusion: enter it as written on the conclusion.")),
        Length(max=50, message=_l("Number of the PMPK conclusion: at most 50 characters."))])
    conclusion_date = DayField(_l("Date of the PMPK conclusion"), validators=[
        DataRequired(message=_l("Date of the PMPK conclusion: enter it."))],
        invalid=_l("Date of the PMPK conclusion: enter a date such as 2026-09-02."))


class ProvisionForm(BaseForm):
    role = SelectField(_l("Role"))
    rows = TextAreaField(_l("One user per line: e-mail, full name, scope code"), validators=[Optional()])
    file = FileField(_l("or a CSV file with the columns email, full_name, scope"))


class VerifyDocumentForm(BaseForm):
    document_id = HiddenField(validators=[DataRequired()])
    accept = BooleanField()
