"""Regions, districts, schools, addresses and microdistricts."""
from datetime import datetime
from typing import Optional

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.types import UTCDateTime, sql_in

OWNERSHIPS = ("state", "municipal", "private")
# general: takes children through the electronic registration; special (auxiliary,
# correctional): takes children only by referral on a ПМПК conclusion, outside it (§18, §23).
SCHOOL_KINDS = ("general", "special")


class Region(db.Model):
    __tablename__ = "regions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name_ky: Mapped[str] = mapped_column(String(200))
    name_ru: Mapped[str] = mapped_column(String(200))

    def __str__(self):
        return f"{self.code} {self.name_ky}"


class District(db.Model):
    __tablename__ = "districts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    name_ky: Mapped[str] = mapped_column(String(200))
    name_ru: Mapped[str] = mapped_column(String(200))

    region: Mapped[Region] = relationship()

    def __str__(self):
        return f"{self.code} {self.name_ky}"


class School(db.Model):
    __tablename__ = "schools"
    __table_args__ = (
        CheckConstraint(sql_in("ownership", OWNERSHIPS), name="ownership"),
        CheckConstraint(sql_in("kind", SCHOOL_KINDS), name="kind"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    name_ky: Mapped[str] = mapped_column(String(300))
    name_ru: Mapped[str] = mapped_column(String(300))
    address: Mapped[str] = mapped_column(String(500), default="")
    ownership: Mapped[str] = mapped_column(String(16))
    # Private and mixed schools take part only if they opt in (§31).
    participates: Mapped[bool] = mapped_column(Boolean, default=True)
    kind: Mapped[str] = mapped_column(String(16), default="general", server_default="general")
    # The district checks the school's name and address (§17).
    verified_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    district: Mapped[District] = relationship()

    def __str__(self):
        return f"{self.code} {self.name_ky}"


class Address(db.Model):
    """A registered dwelling known to the population registry."""

    __tablename__ = "addresses"
    address_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    settlement: Mapped[str] = mapped_column(String(200))
    street: Mapped[str] = mapped_column(String(200))
    house: Mapped[str] = mapped_column(String(50))

    district: Mapped[District] = relationship()

    def __str__(self):
        return f"{self.settlement}, {self.street} {self.house}"


class MicrodistrictAddress(db.Model):
    """One address of a school's microdistrict. Microdistricts may overlap."""

    __tablename__ = "microdistrict_addresses"
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    address_id: Mapped[str] = mapped_column(
        ForeignKey("addresses.address_id"), primary_key=True, index=True
    )
    # Set when a director adds a missing address on proof of registration (R17).
    added_reason: Mapped[Optional[str]] = mapped_column(Text)
    added_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_users.id"))

    school: Mapped[School] = relationship()
    address: Mapped[Address] = relationship()
