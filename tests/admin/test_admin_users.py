"""Provisioning staff accounts: a district creates the directors of its own
schools, the ministry creates district and commission users; in bulk, from a
pasted list or a CSV file, answered with an XLSX of one-time activation links
and no password anywhere."""
import io
import re

from openpyxl import load_workbook
from sqlalchemy import select

from admin.spreadsheets import XLSX_MIME
from portal.extensions import db
from portal.models import AuditEntry, StaffUser
from tests.staff import STAFF, sign_in, staff


def signed_in(app, email):
    client = app.test_client()
    client.get("/lang/en")
    sign_in(client, email)
    return client


def sheet(response):
    assert response.status_code == 200 and response.mimetype == XLSX_MIME, response.get_data(as_text=True)[:500]
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    return rows[0], rows[1:]


def test_a_district_creates_directors_of_its_schools_and_gets_activation_links(portal):
    district = signed_in(portal, STAFF["district_a"])
    response = district.post("/admin/staff_user/provision/", data={
        "role": "director",
        "rows": "new.039@example.kg, Асанова Айгүл, GB-LEN-039\nnew.045@example.kg, \"Усенов, Бакыт\", GB-LEN-045\n"})
    header, rows = sheet(response)
    assert header == ("E-mail", "Full name", "Role", "Scope", "Activation link", "Valid until")
    assert [row[0] for row in rows] == ["new.039@example.kg", "new.045@example.kg"]
    assert rows[1][1] == "Усенов, Бакыт"
    links = [row[4] for row in rows]
    assert all(re.match(r"^http://127\.0\.0\.1:5000/admin/activate/[\w-]{40,}$", link) for link in links)
    user = staff("new.045@example.kg")
    assert user.role == "director" and user.school.code == "GB-LEN-045"
    assert user.password_hash is None and not user.is_active
    assert response.headers["Cache-Control"] == "no-store"
    # The file holds no password, and the link works once for its owner.
    assert not any("password" in str(cell).lower() for row in rows for cell in row)
    client = portal.test_client()
    path = links[0].replace("http://127.0.0.1:5000", "")
    assert client.post(path, data={"password": "chosen by me", "confirm": "chosen by me"}).status_code == 302
    sign_in(client, "new.039@example.kg", "chosen by me")
    new_ids = [str(staff(row[0]).id) for row in rows]
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "staff_users",
                                                          AuditEntry.action == "insert",
                                                          AuditEntry.entity_id.in_(new_ids))).all()
    assert len(entries) == 2 and {entry.actor for entry in entries} == {f"staff:{staff(STAFF['district_a']).id}"}


def test_a_district_cannot_create_outside_its_district_or_other_roles_and_nothing_is_half_done(portal):
    district = signed_in(portal, STAFF["district_a"])
    response = district.post("/admin/staff_user/provision/", data={
        "role": "director", "rows": "ok.039@example.kg, Ok, GB-LEN-039\nosh@example.kg, Osh, GO-OSH-084\n"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "GO-OSH-084 is not within your scope" in page
    assert db.session.scalars(select(StaffUser).where(StaffUser.email == "ok.039@example.kg")).first() is None
    response = district.post("/admin/staff_user/provision/", data={
        "role": "district", "rows": "boss@example.kg, Boss, GB-LEN\n"})
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert db.session.scalars(select(StaffUser).where(StaffUser.email == "boss@example.kg")).first() is None


def test_the_ministry_creates_district_and_commission_users_from_a_csv_file(portal):
    ministry = signed_in(portal, STAFF["ministry"])
    csv = "email,full_name,scope\nnew.district@example.kg,Жаңы адис,GO-OSH\n"
    response = ministry.post("/admin/staff_user/provision/", data={
        "role": "commission", "file": (io.BytesIO(csv.encode()), "users.csv")})
    _header, rows = sheet(response)
    assert rows[0][:4] == ("new.district@example.kg", "Жаңы адис", "Commission on Children's Affairs", "GO-OSH")
    assert staff("new.district@example.kg").district.code == "GO-OSH"
    duplicate = ministry.post("/admin/staff_user/provision/", data={
        "role": "district", "rows": f"{STAFF['district_a']}, Again, GB-LEN\n"})
    assert "already exists" in duplicate.get_data(as_text=True)


def test_directors_and_commissions_provision_nobody(portal):
    for email in (STAFF["director_a"], "commission.gb-len@example.kg"):
        client = signed_in(portal, email)
        assert client.get("/admin/staff_user/").status_code == 403
        assert client.post("/admin/staff_user/provision/", data={
            "role": "director", "rows": "x@example.kg, X, GB-LEN-039\n"}).status_code == 403
    assert db.session.scalars(select(StaffUser).where(StaffUser.email == "x@example.kg")).first() is None


def test_new_activation_links_only_for_accounts_never_activated_and_only_in_scope(portal):
    district = signed_in(portal, STAFF["district_a"])
    district.post("/admin/staff_user/provision/", data={"role": "director", "rows": "late@example.kg, L, GB-LEN-041\n"})
    waiting, active = staff("late@example.kg"), staff(STAFF["director_b"])
    old_hash = waiting.activation_token_hash
    osh_director = staff("director.go-osh-084@example.kg")
    osh_director.password_hash = None
    db.session.commit()
    response = district.post("/admin/staff_user/action/", data={
        "action": "activation_links", "rowid": [waiting.id, active.id, osh_director.id]})
    _header, rows = sheet(response)
    assert [row[0] for row in rows] == ["late@example.kg"]
    db.session.expire_all()
    assert staff("late@example.kg").activation_token_hash != old_hash
    assert staff("director.go-osh-084@example.kg").activation_token_hash is None


def test_disable_enable_and_unlock_within_the_roles_one_provisions(portal):
    district = signed_in(portal, STAFF["district_a"])
    director_b, colleague = staff(STAFF["director_b"]), staff("commission.gb-len@example.kg")
    district.post("/admin/staff_user/action/", data={"action": "disable", "confirmed": "1", "rowid": [director_b.id, colleague.id]})
    db.session.expire_all()
    assert not director_b.is_enabled and colleague.is_enabled  # a district provisions directors only
    refused = portal.test_client().post("/admin/login", data={"email": STAFF["director_b"], "password": "x"})
    assert refused.status_code == 200
    district.post("/admin/staff_user/action/", data={"action": "enable", "rowid": [director_b.id]})
    db.session.expire_all()
    assert director_b.is_enabled
