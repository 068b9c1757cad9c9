"""Uploads (issue 15, items 5 and 12; ASVS V12.1, V12.3): a refused
registration leaves no file on disk, the form keeps a bounded number of
documents not yet attached to an application, a periodic job deletes what was
never used, the form and the API decide the kind of a document the same way,
and a file name never carries control characters into a header."""
import io
import os
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.admission import documents
from portal.admission.errors import AdmissionError
from portal.extensions import db
from portal.models import Application, Document
from tests import public_form
from tests.public_form import PDF, child_refs, first_language, page
from tests.scenario import AFTER_CLOSE, SCENARIO, STAGE2, at, error_code, sign_in
from tests.staff import STAFF, sign_in as staff_sign_in


def stored_files(app):
    root = app.config["UPLOAD_FOLDER"]
    return sorted(os.path.join(folder, name) for folder, _, names in os.walk(root) for name in names)


def document_rows():
    return db.session.scalar(select(func.count()).select_from(Document))


def _upload(client, headers, child_pin, school, language, *, category=None, name="act.pdf", content=PDF):
    data = {"child_pin": child_pin, "school_code": school, "language": language,
            "document": (io.BytesIO(content), name)}
    if category:
        data["category"] = category
    return client.post("/api/v1/applications", data=data, headers=headers, content_type="multipart/form-data")


# --- item 5: the API ---------------------------------------------------------------------
def test_api_refused_registrations_with_a_file_leave_nothing_on_disk(sample, client):
    person = SCENARIO["guardian"]
    headers = sign_in(client, sample, person["parent_pin"])
    child = person["child_pins"][0]
    for _ in range(10):
        response = _upload(client, headers, child, "NO-SUCH-SCHOOL", "ky")
        assert response.status_code == 422, response.json
    # Refused by the rules after the upload was read: a language the school does not
    # teach in, and registration closed.
    school = person["school_code"]
    refused = _upload(client, headers, child, school, "tj")
    assert refused.status_code == 422, refused.json
    at(sample, AFTER_CLOSE)
    headers = sign_in(client, sample, person["parent_pin"])
    closed = _upload(client, headers, child, school, first_language(school))
    assert closed.status_code == 409 and error_code(closed) == "registration_closed"
    assert stored_files(sample) == [] and document_rows() == 0


def test_api_a_file_is_kept_with_the_registration_that_used_it(sample, client):
    person = SCENARIO["guardian"]
    at(sample, STAGE2)
    headers = sign_in(client, sample, person["parent_pin"])
    school = person["school_code"]
    response = _upload(client, headers, person["child_pins"][0], school, first_language(school))
    assert response.status_code == 201, response.json
    document = db.session.scalars(select(Document)).one()
    assert document.application_id is not None and document.kind == "representative_act"
    assert stored_files(sample) == [documents.document_path(document)]


def test_api_a_failed_commit_deletes_the_file_written_for_it(sample):
    upload = documents.read_upload(io.BytesIO(PDF), filename="act.pdf")
    document = documents.new_document(upload, owner_pin="12345678901234", kind="representative_act")
    documents.write_file(document, upload)
    assert os.path.exists(documents.document_path(document))
    db.session.rollback()  # what the API's error handler does after any failure
    assert stored_files(sample) == [] and document_rows() == 0


def test_api_a_document_nobody_asked_for_is_refused_and_not_stored(sample, client):
    person = SCENARIO["stage1_parent"]  # a parent, no teacher category: no proof is asked
    headers = sign_in(client, sample, person["parent_pin"])
    school = person["school_code"]
    response = _upload(client, headers, person["child_pin"], school, first_language(school))
    assert response.status_code == 422 and error_code(response) == "validation_error"
    assert stored_files(sample) == [] and document_rows() == 0


def test_the_document_kind_is_one_decision_for_the_form_and_the_api():
    assert documents.kind_for(as_representative=True, category=None) == "representative_act"
    assert documents.kind_for(as_representative=True, category="teacher") == "representative_act"
    assert documents.kind_for(as_representative=False, category="teacher") == "teacher_proof"
    assert documents.kind_for(as_representative=False, category=None) is None


def test_api_a_legal_representative_who_says_teacher_uploads_the_act_as_on_the_form(sample, client):
    """The API used to file this upload as a teacher's certificate (by category),
    the form as the act (by representative): now both file it as the act (R9)."""
    person = SCENARIO["guardian"]
    at(sample, STAGE2)
    headers = sign_in(client, sample, person["parent_pin"])
    school = person["school_code"]
    _upload(client, headers, person["child_pins"][0], school, first_language(school), category="teacher")
    assert db.session.scalars(select(Document.kind)).all() in ([], ["representative_act"])


# --- item 5: the form --------------------------------------------------------------------
def _to_about(client, app, person):
    public_form.sign_in(client, app, person["parent_pin"])
    client.get(f"/register/child/{child_refs(client)[0]}")
    school = person["school_code"]
    client.post("/register/school", data={"choice": f"{school}:{first_language(school)}"})


def _post_act(client, name="act.pdf", headers=None):
    return client.post("/register/about-you", content_type="multipart/form-data", headers=headers or {},
                       data={"teacher": "no", "document": (io.BytesIO(PDF), name)})


def test_form_a_new_upload_replaces_the_drafts_earlier_one(sample, client):
    _to_about(client, sample, SCENARIO["guardian"])
    for number in range(8):
        assert _post_act(client, f"act-{number}.pdf").status_code == 302
    rows = db.session.scalars(select(Document)).all()
    assert [row.original_name for row in rows] == ["act-7.pdf"]
    assert stored_files(sample) == [documents.document_path(rows[0])]


def _new_draft(client, person):
    client.get(f"/register/child/{child_refs(client)[0]}")  # starts a draft afresh
    school = person["school_code"]
    client.post("/register/school", data={"choice": f"{school}:{first_language(school)}"})


def test_form_unattached_documents_are_capped_per_parent(sample, client):
    """Each new draft (another browser, or starting over) keeps a document of its
    own; beyond the cap the next upload is refused with a message in the
    parent's language, before anything is written."""
    person, limit = SCENARIO["guardian"], sample.config["UNATTACHED_DOCUMENTS_PER_PARENT"]
    public_form.sign_in(client, sample, person["parent_pin"])
    for _ in range(limit):
        _new_draft(client, person)
        assert _post_act(client).status_code == 302
    _new_draft(client, person)
    client.get("/lang/ru")
    refused = _post_act(client)
    assert refused.status_code == 422
    assert "не прикреплённых к заявлению" in page(refused), page(refused)[-2000:]
    assert document_rows() == limit and len(stored_files(sample)) == limit


def test_form_the_cap_counts_only_the_parents_own_documents(sample):
    with pytest.raises(AdmissionError) as refused:
        for _ in range(sample.config["UNATTACHED_DOCUMENTS_PER_PARENT"] + 1):
            documents.store_draft_document(io.BytesIO(PDF), filename="a.pdf", owner_pin="11111111111111",
                                           kind="representative_act")
    assert refused.value.code == "document_limit_reached"
    documents.store_draft_document(io.BytesIO(PDF), filename="a.pdf", owner_pin="22222222222222",
                                   kind="representative_act")


# --- item 5: the sweep -------------------------------------------------------------------
def _age_file(path, hours):
    stamp = os.stat(path).st_mtime - hours * 3600  # files age in real time, not the tests' frozen clock
    os.utime(path, (stamp, stamp))


def test_the_sweep_deletes_unattached_documents_and_orphan_files_and_keeps_the_rest(sample):
    from portal import clock

    now = clock.now()
    old = documents.store_document(io.BytesIO(PDF), filename="old.pdf", owner_pin="11111111111111",
                                   kind="representative_act")
    old.uploaded_at = now - timedelta(hours=49)
    fresh = documents.store_document(io.BytesIO(PDF), filename="fresh.pdf", owner_pin="11111111111111",
                                     kind="representative_act")
    fresh.uploaded_at = now - timedelta(hours=1)
    application = db.session.scalars(select(Application)).first()
    attached = None
    if application is not None:
        attached = documents.store_document(io.BytesIO(PDF), filename="kept.pdf", owner_pin="11111111111111",
                                            kind="representative_act")
        attached.application_id, attached.uploaded_at = application.id, now - timedelta(days=90)
    db.session.commit()
    orphan = os.path.join(sample.config["UPLOAD_FOLDER"], "ab", "ab" + "0" * 30)
    young_orphan = os.path.join(sample.config["UPLOAD_FOLDER"], "cd", "cd" + "0" * 30)
    for path in (orphan, young_orphan):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as out:
            out.write(PDF)
    _age_file(orphan, 2)
    old_path = documents.document_path(old)

    assert documents.sweep_orphans(now=now) == {"documents": 1, "files": 1}
    assert os.path.exists(old_path), "a file goes only once its row's deletion is committed"
    db.session.commit()
    left = stored_files(sample)
    assert old_path not in left and orphan not in left and young_orphan in left
    assert documents.document_path(fresh) in left
    assert db.session.get(Document, fresh.id) is not None
    if attached is not None:
        assert documents.document_path(attached) in left


def test_a_rolled_back_sweep_deletes_no_file(sample):
    from portal import clock

    old = documents.store_document(io.BytesIO(PDF), filename="old.pdf", owner_pin="11111111111111",
                                   kind="representative_act")
    old.uploaded_at = clock.now() - timedelta(days=3)
    db.session.commit()
    path = documents.document_path(old)
    documents.sweep_orphans(now=clock.now())
    db.session.rollback()
    assert os.path.exists(path) and db.session.get(Document, old.id) is not None


def test_the_sweep_runs_in_process_and_as_an_rq_job(sample):
    from datetime import datetime, timezone

    from portal import clock
    from portal.jobs import schedule
    from portal.jobs.worker import run_due_jobs

    assert "upload-sweep" in [periodic.name for periodic in schedule.periodic_jobs(sample)]
    assert [p.task for p in schedule.periodic_jobs(sample) if p.name == "upload-sweep"] == ["sweep_uploads"]
    old = documents.store_document(io.BytesIO(PDF), filename="old.pdf", owner_pin="11111111111111",
                                   kind="representative_act")
    old.uploaded_at = clock.now() - timedelta(days=3)
    db.session.commit()
    path = documents.document_path(old)
    db.session.commit()  # end the read: the job's own session writes (SQLite: one writer)
    now = datetime.now(timezone.utc)
    due = {}
    run_due_jobs(sample, due, now)
    due["upload-sweep"] = now - timedelta(seconds=1)
    assert "upload-sweep" in run_due_jobs(sample, due, now)
    assert not os.path.exists(path)


# --- item 12: file names -----------------------------------------------------------------
@pytest.mark.parametrize(("given", "kept"), [
    ("act\r\nX-Injected: 1.pdf", "act X-Injected: 1.pdf"),
    ("a\x07b\x1b[31m.pdf", "ab[31m.pdf"),
    ("tab\there.pdf", "tab here.pdf"),
    ("C:\\fakepath\\акт.pdf", "акт.pdf"),
    ("../../etc/passwd", "passwd"),
    ("\u202egpj.exe", "gpj.exe"),
    ("\x00\x01", "document"),
    ("x" * 300 + ".pdf", "x" * 255),
])
def test_a_file_name_keeps_no_control_character(given, kept):
    assert documents.safe_file_name(given) == kept


def test_the_staff_download_header_carries_no_control_character(world, client):
    from flask import current_app

    document = db.session.scalars(select(Document).order_by(Document.id)).first()
    document.original_name = "proof\x07\x1b\u202e\tname\r.pdf"  # as stored before names were cleaned
    db.session.commit()
    staff = current_app.test_client()
    staff_sign_in(staff, STAFF["ministry"])
    response = staff.get(f"/admin/application/document/?id={document.id}")
    assert response.status_code == 200
    header = response.headers["Content-Disposition"]
    assert not any(ord(char) < 32 or ord(char) == 127 for char in header), repr(header)
    assert "%E2%80%AE" not in header and "proof" in header


def test_an_uploaded_name_is_stored_clean(sample, client):
    person = SCENARIO["guardian"]
    _to_about(client, sample, person)
    # (CR and LF cannot pass through the test client's multipart encoding; safe_file_name drops them too)
    response = _post_act(client, "court\tact\x07\u202e.pdf")
    assert response.status_code == 302, page(response)[-1500:]
    assert db.session.scalars(select(Document.original_name)).one() == "court act.pdf"
