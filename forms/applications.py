"""What a parent does with an application after submitting it: cancel (with a
confirmation step), move in stage 2, appeal to the district."""
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from forms.base import BaseForm
from portal.admission.appeals import MAX_APPEAL_CHARS


def _digits_only(value):
    return "".join(ch for ch in value if ch not in " -\u00a0").strip() if value else value


class ConfirmedChangeForm(BaseForm):
    """A cancel or a move. From another contact than the one the application was
    made from, the page asks for the code sent to that contact (trust)."""

    confirmation_code = StringField(
        _l("The code we sent to the contact the application was made from"),
        description=_l("Six digits."),
        filters=[_digits_only],
        validators=[Optional(), Regexp(r"^[0-9]{6}$", message=_l("The code has six digits."))],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code"},
    )

    def code(self):
        return self.confirmation_code.data or None


class CancelForm(ConfirmedChangeForm):
    submit = SubmitField(_l("Yes, cancel the application"))


class MoveForm(ConfirmedChangeForm):
    submit = SubmitField(_l("Yes, move the application"))


class AppealForm(BaseForm):
    district = SelectField(
        _l("District education department"),
        validators=[InputRequired(_l("Choose the district education department."))],
        validate_choice=True,
    )
    text = TextAreaField(
        _l("Your appeal"),
        # The view adds the answer time, a campaign setting.
        description=_l("Describe what happened and what you ask for."),
        filters=[lambda value: value.strip() if value else value],
        validators=[
            DataRequired(_l("Write your appeal.")),
            Length(max=MAX_APPEAL_CHARS,
                   message=_l("The appeal can be at most %(max)d characters long.")),
        ],
        render_kw={"rows": 8},
    )
    submit = SubmitField(_l("Send the appeal"))


class DistrictFilterForm(BaseForm):
    """The district whose schools a page lists (a GET form: nothing to protect)."""

    class Meta:
        csrf = False

    district = SelectField(_l("District"), validate_choice=False)
    show = SubmitField(_l("Show schools"))
