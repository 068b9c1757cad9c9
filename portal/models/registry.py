"""The local registry: the embedded stand-in for the state population registry."""
from datetime import date
from typing import Optional

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.types import sql_in

RELATIONS = ("mother", "father", "guardian")


class RegistryPerson(db.Model):
    __tablename__ = "registry_persons"
    __table_args__ = (
        CheckConstraint("sex IN ('M', 'F')", name="sex"),
        CheckConstraint("length(pin) = 14", name="pin_length"),
    )
    pin: Mapped[str] = mapped_column(String(14), primary_key=True)
    last_name: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    patronymic: Mapped[str] = mapped_column(String(100), default="")
    sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date] = mapped_column(Date)
    address_id: Mapped[Optional[str]] = mapped_column(
        ForeignKey("addresses.address_id"), index=True
    )
    has_documents: Mapped[bool] = mapped_column(Boolean, default=True)
    # The number of the person's identity document (ID card or passport); a parent
    # signing in without Түндүк proves who they are with it.
    id_document: Mapped[Optional[str]] = mapped_column(String(32))


class RegistryLink(db.Model):
    """A parent-child link; `guardian` means a legal representative (R9)."""

    __tablename__ = "registry_links"
    __table_args__ = (CheckConstraint(sql_in("relation", RELATIONS), name="relation"),)
    parent_pin: Mapped[str] = mapped_column(
        ForeignKey("registry_persons.pin"), primary_key=True
    )
    child_pin: Mapped[str] = mapped_column(
        ForeignKey("registry_persons.pin"), primary_key=True, index=True
    )
    relation: Mapped[str] = mapped_column(String(16))


class Teacher(db.Model):
    """A teacher of a school (R7). Kept locally: the state registry does not know it."""

    __tablename__ = "teachers"
    pin: Mapped[str] = mapped_column(String(14), primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
