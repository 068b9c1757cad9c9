"""The files of an import folder (data-formats.md, "Import folder") and their columns.

Each column knows how to check and normalise one raw CSV value. The checks
here are per value and per row; what needs other rows or the database
(duplicate keys, references) is checked in SQL on the staged rows
(`portal.importer.staging`).
"""
import re
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _

from portal.models import (
    LANGUAGES,
    ROLES,
    Address,
    District,
    Region,
    RegistryPerson,
    School,
    StaffUser,
)
from portal.models.geography import OWNERSHIPS, SCHOOL_KINDS
from portal.models.registry import RELATIONS

PIN = re.compile(r"\d{14}")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
WHOLE_NUMBER = re.compile(r"\d{1,9}")  # fits a 32-bit integer column
# Deliberately simple: one @, no spaces, a dot in the domain. Whether the
# address really receives mail is proven by the activation message.
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


class FieldError(Exception):
    """A value that fails its column's check; the message is for the operator."""


def _length(column):
    return column.property.columns[0].type.length


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "text"  # text, pin, date, flag, number, choice, email
    required: bool = True
    max_length: int | None = None
    choices: tuple = ()
    sql_type: str = "text"  # staging column type: text, integer, boolean, date
    null_when_empty: bool = False  # an optional reference: empty means none
    # An optional column (data-formats.md says so): a file may leave it out of its
    # header, and every row then has it empty.
    may_be_absent: bool = False

    def converter(self):
        """A function raw string -> stored value, raising FieldError."""
        name, required, max_length, choices = self.name, self.required, self.max_length, self.choices
        empty = "" if self.kind == "text" and not self.null_when_empty else None

        def check_present(raw):
            if raw:
                return True
            if required:
                raise FieldError(_("%(column)s is required", column=name))
            return False

        if self.kind == "text":
            def convert(raw):
                if not check_present(raw):
                    return empty
                if max_length and len(raw) > max_length:
                    raise FieldError(
                        _("%(column)s is longer than %(max)d characters", column=name, max=max_length)
                    )
                return raw
        elif self.kind == "pin":
            def convert(raw):
                if not check_present(raw):
                    return empty
                if not PIN.fullmatch(raw):
                    raise FieldError(_("%(column)s must be 14 digits", column=name))
                return raw
        elif self.kind == "date":
            def convert(raw):
                if not check_present(raw):
                    return empty
                if not ISO_DATE.fullmatch(raw) or not _valid_date(raw):
                    raise FieldError(_("%(column)s must be a date YYYY-MM-DD", column=name))
                return raw
        elif self.kind == "flag":
            def convert(raw):
                if not check_present(raw):
                    return empty
                if raw not in ("1", "0"):
                    raise FieldError(_("%(column)s must be 1 or 0", column=name))
                return raw == "1"
        elif self.kind == "number":
            def convert(raw):
                if not check_present(raw):
                    return empty
                if not WHOLE_NUMBER.fullmatch(raw):
                    raise FieldError(_("%(column)s must be a whole number", column=name))
                value = int(raw)
                if choices and value not in choices:
                    raise FieldError(
                        _("%(column)s must be one of %(choices)s", column=name,
                          choices=", ".join(map(str, choices)))
                    )
                return value
        elif self.kind == "choice":
            def convert(raw):
                if not check_present(raw):
                    return empty
                if raw not in choices:
                    raise FieldError(
                        _("%(column)s must be one of %(choices)s", column=name, choices=", ".join(choices))
                    )
                return raw
        elif self.kind == "email":
            def convert(raw):
                if not check_present(raw):
                    return empty
                if len(raw) > (max_length or 254) or not EMAIL.fullmatch(raw):
                    raise FieldError(_("%(column)s is not a valid e-mail address", column=name))
                return raw.lower()  # mailboxes are case-insensitive in practice
        else:  # pragma: no cover - a programming error in the table below
            raise ValueError(self.kind)
        return convert


def _valid_date(raw):
    try:
        date.fromisoformat(raw)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Reference:
    """A column that names a row of another file or of the database."""

    column: str
    file: str  # the file that may supply the target
    table: str  # the database table that may hold it already
    target: str  # the target's key column, in both
    when: str | None = None  # an SQL condition on the staged row


@dataclass(frozen=True)
class FileSpec:
    name: str
    columns: tuple
    key: tuple
    references: tuple = field(default=())

    @property
    def stage(self):
        """Name of the staging table."""
        return "import_" + self.name.split(".")[0]


def _text(name, model_column, required=True):
    """A text column as long as the model's column allows."""
    return Column(name, "text", required, _length(model_column))


FILES = (
    FileSpec(
        "regions.csv",
        (_text("code", Region.code), _text("name_ky", Region.name_ky), _text("name_ru", Region.name_ru)),
        key=("code",),
    ),
    FileSpec(
        "districts.csv",
        (
            _text("code", District.code),
            _text("region_code", Region.code),
            _text("name_ky", District.name_ky),
            _text("name_ru", District.name_ru),
        ),
        key=("code",),
        references=(Reference("region_code", "regions.csv", "regions", "code"),),
    ),
    FileSpec(
        "schools.csv",
        (
            _text("code", School.code),
            _text("district_code", District.code),
            _text("name_ky", School.name_ky),
            _text("name_ru", School.name_ru),
            _text("address", School.address, required=False),
            Column("ownership", "choice", choices=OWNERSHIPS),
            Column("participates", "flag", sql_type="boolean"),
            # Optional (data-formats.md): absent or empty means general; special schools
            # take children only by referral (§18, §23).
            Column("kind", "choice", required=False, choices=SCHOOL_KINDS, may_be_absent=True),
        ),
        key=("code",),
        references=(Reference("district_code", "districts.csv", "districts", "code"),),
    ),
    FileSpec(
        "addresses.csv",
        (
            _text("address_id", Address.address_id),
            _text("district_code", District.code),
            _text("settlement", Address.settlement),
            # A village house may have no street; the house number is what is always there.
            _text("street", Address.street, required=False),
            _text("house", Address.house),
        ),
        key=("address_id",),
        references=(Reference("district_code", "districts.csv", "districts", "code"),),
    ),
    FileSpec(
        "microdistricts.csv",
        (_text("school_code", School.code), _text("address_id", Address.address_id)),
        key=("school_code", "address_id"),
        references=(
            Reference("school_code", "schools.csv", "schools", "code"),
            Reference("address_id", "addresses.csv", "addresses", "address_id"),
        ),
    ),
    FileSpec(
        "grade_stats.csv",
        (
            _text("school_code", School.code),
            Column("grade", "number", choices=(1, 4), sql_type="integer"),
            Column("class_no", "number", sql_type="integer"),
            Column("language", "choice", choices=LANGUAGES),
            Column("pupils", "number", sql_type="integer"),
        ),
        key=("school_code", "grade", "class_no"),
        references=(Reference("school_code", "schools.csv", "schools", "code"),),
    ),
    FileSpec(
        "registry_persons.csv",
        (
            Column("pin", "pin"),
            _text("last_name", RegistryPerson.last_name),
            _text("first_name", RegistryPerson.first_name),
            _text("patronymic", RegistryPerson.patronymic, required=False),
            Column("sex", "choice", choices=("M", "F")),
            Column("birth_date", "date", sql_type="date"),
            Column("address_id", "text", False, _length(Address.address_id), null_when_empty=True),
            Column("has_documents", "flag", sql_type="boolean"),
            Column("id_document", "text", False, _length(RegistryPerson.id_document), null_when_empty=True,
                   may_be_absent=True),
        ),
        key=("pin",),
        references=(Reference("address_id", "addresses.csv", "addresses", "address_id"),),
    ),
    FileSpec(
        "registry_links.csv",
        (Column("parent_pin", "pin"), Column("child_pin", "pin"), Column("relation", "choice", choices=RELATIONS)),
        key=("parent_pin", "child_pin"),
        references=(
            Reference("parent_pin", "registry_persons.csv", "registry_persons", "pin"),
            Reference("child_pin", "registry_persons.csv", "registry_persons", "pin"),
        ),
    ),
    FileSpec(
        "teachers.csv",
        (Column("pin", "pin"), _text("school_code", School.code)),
        key=("pin", "school_code"),
        references=(Reference("school_code", "schools.csv", "schools", "code"),),
    ),
    FileSpec(
        "staff.csv",
        (
            Column("email", "email", max_length=_length(StaffUser.email)),
            Column("role", "choice", choices=ROLES),
            Column(
                "scope", "text", False, max(_length(District.code), _length(School.code)),
                null_when_empty=True,
            ),
            _text("full_name", StaffUser.full_name),
        ),
        key=("email",),
        references=(
            Reference("scope", "districts.csv", "districts", "code", "role IN ('district', 'commission')"),
            Reference("scope", "schools.csv", "schools", "code", "role = 'director'"),
        ),
    ),
)
CAMPAIGN_FILE = "campaign.json"
# The order of the spec table: files are read, reported and applied in it.
ORDER = tuple(spec.name for spec in FILES) + (CAMPAIGN_FILE,)
BY_NAME = {spec.name: spec for spec in FILES}


def check_row(spec_name, values):
    """Checks that involve more than one column of a row; returns reasons."""
    if spec_name == "staff.csv":
        role, scope = values["role"], values["scope"]
        if role == "ministry" and scope:
            return [_("scope must be empty for the role ministry")]
        if role in ("district", "commission") and not scope:
            return [_("scope must be a district code for the role %(role)s", role=role)]
        if role == "director" and not scope:
            return [_("scope must be a school code for the role director")]
    elif spec_name == "registry_links.csv":
        if values["parent_pin"] and values["parent_pin"] == values["child_pin"]:
            return [_("parent_pin and child_pin are the same person")]
    return []
