"""Uploaded proofs (R7 teacher, R9 legal representative, R17 registration).
The director's check of R7 and R9 proofs and what follows: `proofs.py`.

A file is accepted by what it IS, not by its name or the browser's claim: its
first bytes must be those of a PDF, JPEG or PNG, and it must be at most 5 MB.
The bytes are stored outside the web root (UPLOAD_FOLDER) under a random key.

Uploads must not fill the disk (issue 15, item 5). So an upload is checked in
memory before anything is written (`read_upload`); the API writes it only once
the rules have accepted the registration and deletes it again when the commit
fails; the form keeps at most `UNATTACHED_DOCUMENTS_PER_PARENT` documents not
yet attached to an application per parent (a new one replaces the draft's
earlier one); and a periodic job (`sweep_orphans`) deletes documents never
attached within `UNATTACHED_DOCUMENT_HOURS` and files that no row names.
"""
import hashlib
import logging
import os
import secrets
import time
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from portal.admission.errors import AdmissionError
from portal.extensions import db
from portal.models import Document

log = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
# A file younger than this that no row names may belong to a request between
# writing it and committing its row: the sweep leaves it alone.
ORPHAN_FILE_GRACE = timedelta(hours=1)


def sniff_content_type(head):
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def safe_file_name(name):
    """The name a person gave the file, fit to show and to send back in a
    Content-Disposition header: the last part of a path only, no control or
    format characters (CR, LF, tab, ESC, bidirectional overrides...), no
    runs of spaces, at most 255 characters; "document" when nothing is left."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(" " if char.isspace() else char for char in name
                   if char.isspace() or not unicodedata.category(char).startswith("C"))
    name = " ".join(name.split())[:255].strip()
    return name if name.strip(".") else "document"


@dataclass(frozen=True)
class Upload:
    """An upload checked in memory: nothing is on disk yet."""

    data: bytes
    filename: str
    content_type: str


def read_upload(stream, *, filename):
    """Read and check an upload (type by its first bytes, at most 5 MB) without
    writing anything; refused: `document_required`."""
    data = stream.read(MAX_BYTES + 1)
    if not data or len(data) > MAX_BYTES:
        raise AdmissionError("document_required")
    content_type = sniff_content_type(data[:16])
    if content_type is None:
        raise AdmissionError("document_required")
    return Upload(data=data, filename=safe_file_name(filename), content_type=content_type)


def kind_for(*, as_representative, category):
    """What an upload proves, decided the same way on the form and the API:
    a legal representative's upload is the act that makes them one (R9, §21);
    a teacher's is the certificate from the school (R7, §24); anyone else is
    asked for no proof (None)."""
    if as_representative:
        return "representative_act"
    if category == "teacher":
        return "teacher_proof"
    return None


def new_document(upload, *, owner_pin, kind):
    """The flushed Document row of `upload`; its file is written by `write_file`."""
    if kind is None:
        raise AdmissionError("validation_error")  # no proof is asked of this applicant
    document = Document(
        owner_pin=owner_pin,
        kind=kind,
        original_name=upload.filename,
        content_type=upload.content_type,
        size_bytes=len(upload.data),
        sha256=hashlib.sha256(upload.data).hexdigest(),
        storage_key=secrets.token_hex(16),
    )
    db.session.add(document)
    db.session.flush()
    return document


def write_file(document, upload):
    """Write the file of a flushed Document. Should the transaction roll back
    (a refusal, a failed commit), the file is deleted after the rollback."""
    path = document_path(document)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as out:
        out.write(upload.data)
    db.session.info.setdefault(_WRITTEN, []).append(path)


def store_document(stream, *, filename, owner_pin, kind):
    """Check and store an upload at once; returns the flushed Document (a
    rollback deletes the file again)."""
    upload = read_upload(stream, filename=filename)
    document = new_document(upload, owner_pin=owner_pin, kind=kind)
    write_file(document, upload)
    return document


# --- documents not attached to an application ---------------------------------------
def _unattached(owner_pin):
    return select(Document).where(Document.owner_pin == owner_pin, Document.application_id.is_(None))


def store_draft_document(stream, *, filename, owner_pin, kind, replaces=None):
    """The form's upload, kept until the application is submitted. The draft's
    earlier document (`replaces`: its id) goes; beyond the cap the upload is
    refused (`document_limit_reached`) before anything is written."""
    upload = read_upload(stream, filename=filename)
    earlier = db.session.scalars(_unattached(owner_pin).where(Document.id == replaces)).first() \
        if replaces is not None else None
    limit = current_app.config["UNATTACHED_DOCUMENTS_PER_PARENT"]
    held = db.session.scalar(select(func.count()).select_from(_unattached(owner_pin).subquery()))
    if held - (earlier is not None) >= limit:
        raise AdmissionError("document_limit_reached", limit=limit,
                             hours=current_app.config["UNATTACHED_DOCUMENT_HOURS"])
    if earlier is not None:
        discard(earlier)
    document = new_document(upload, owner_pin=owner_pin, kind=kind)
    write_file(document, upload)
    return document


def draft_document(owner_pin, document_id):
    """A document this person uploaded and has not yet attached to an application;
    None for anyone else's, an attached one, or a missing one."""
    document = db.session.get(Document, document_id) if document_id else None
    if document is None or document.owner_pin != owner_pin or document.application_id is not None:
        return None
    return document


def discard(document):
    """Delete an unattached document: the row now, the file once the deletion
    is committed (a rollback keeps both)."""
    db.session.delete(document)
    db.session.flush()
    db.session.info.setdefault(_DELETED, []).append(document_path(document))


def sweep_orphans(*, now):
    """The periodic job: documents never attached to an application within
    `UNATTACHED_DOCUMENT_HOURS` (the form's draft is long gone) and files of the
    upload folder that no row names (a process stopped between writing a file
    and committing). Returns {"documents": n, "files": n}."""
    hours = current_app.config["UNATTACHED_DOCUMENT_HOURS"]
    stale = db.session.scalars(select(Document).where(
        Document.application_id.is_(None), Document.uploaded_at < now - timedelta(hours=hours))).all()
    for document in stale:
        discard(document)
    files = 0
    root = current_app.config["UPLOAD_FOLDER"]
    known = set(db.session.scalars(select(Document.storage_key)))
    cutoff = time.time() - ORPHAN_FILE_GRACE.total_seconds()  # file times are the machine's, not the campaign clock
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            if name in known:
                continue
            try:
                if os.stat(path).st_mtime >= cutoff:
                    continue
                os.remove(path)
                files += 1
            except FileNotFoundError:
                continue
    if stale or files:
        log.info("upload sweep: %d unattached documents and %d orphan files deleted", len(stale), files)
    return {"documents": len(stale), "files": files}


def _path(storage_key):
    return os.path.join(current_app.config["UPLOAD_FOLDER"], storage_key[:2], storage_key)


# --- files follow the transaction of their rows ----------------------------------------
# A file is written before its row is committed and deleted after its row's
# deletion is committed; the session remembers which, and these listeners finish
# the job when the transaction ends, so that no edge has to remember (the API's
# refused registration, a failed commit, a job rolled back).
_WRITTEN, _DELETED = "mektep_files_written", "mektep_files_deleted"


def _remove(paths):
    for path in paths:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass
        except OSError as error:  # left for the sweep
            log.warning("could not delete an upload: %s", type(error).__name__)


def _after_commit(session):
    if session.in_nested_transaction():
        return  # a savepoint: the outer transaction decides
    session.info.pop(_WRITTEN, None)
    _remove(session.info.pop(_DELETED, ()))


def _after_rollback(session, previous_transaction):
    if previous_transaction.parent is not None:
        return  # a savepoint or a subtransaction: the outer transaction decides
    session.info.pop(_DELETED, None)
    _remove(session.info.pop(_WRITTEN, ()))


def install():
    """Attach the listeners to every SQLAlchemy session (once per process)."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_rollback)


def document_path(document):
    return _path(document.storage_key)
