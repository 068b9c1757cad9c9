"""The steps of registering a child: which children (twins), school and language,
about the applicant (teacher, legal representative's act), check and submit.

Choices depend on the parent and the moment, so the views fill them in.
"""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import RadioField, SelectMultipleField, SubmitField
from wtforms.validators import InputRequired, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from forms.base import BaseForm
from forms.choices import options

# What the parent is told a proof may be; documents.store_document checks it.
DOCUMENT_HINT = _l("PDF, JPEG or PNG, up to 5 MB. A clear photo of the paper is fine.")


class ChildrenTogetherForm(BaseForm):
    """Twins, triplets...: registered together in one submission (R6)."""

    children = SelectMultipleField(
        _l("Which children are you registering together?"),
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )
    submit = SubmitField(_l("Continue"))

    def validate_children(self, field):
        if len(field.data or []) < 2:
            raise ValidationError(_l("Choose at least two children born on the same day."))


class SchoolForm(BaseForm):
    # The value is "SCHOOL_CODE:language", one option per school and language.
    choice = RadioField(
        _l("School and language of instruction"),
        validators=[InputRequired(_l("Choose a school and a language of instruction."))],
        validate_choice=True,
    )
    submit = SubmitField(_l("Continue"))

    def chosen(self):
        code, _, language = (self.choice.data or "").rpartition(":")
        return code, language


def _yes_no():
    return options([("no", _l("No")), ("yes", _l("Yes, I work as a teacher at this school"))])


class AboutYouForm(BaseForm):
    """Only what the regulation asks (R14): the teacher's priority (R7) and the
    legal representative's act (R9). The fields a parent does not need are removed."""

    teacher = RadioField(
        _l("Do you work as a teacher at this school?"),
        description=_l("Children of the school's teachers are admitted over the quota. "
                       "The school checks its list of teachers; if you are not on it, "
                       "you can add a certificate from the school on the next page."),
        choices=_yes_no(),
        validators=[InputRequired(_l("Answer whether you work as a teacher at this school."))],
    )
    document = FileField(_l("Document"), description=DOCUMENT_HINT)
    submit = SubmitField(_l("Continue"))


class SubmitForm(BaseForm):
    """Check your answers, then submit (CSRF only)."""

    submit = SubmitField(_l("Submit the application"))
