"""Uploaded proofs (R7 teacher, R9 legal representative, R17 registration).
The director's check of R7 and R9 proofs and what follows: `proofs.py`.

A file is accepted by what it IS, not by its name or the browser's claim: its
first bytes must be those of a PDF, JPEG or PNG, and it must be at most 5 MB.
The bytes are stored outside the web root (UPLOAD_FOLDER) under a random key.
"""
import hashlib
import os
import secrets

from flask import current_app

from portal.admission.errors import AdmissionError
from portal.extensions import db
from portal.models import Document

MAX_BYTES = 5 * 1024 * 1024
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


def sniff_content_type(head):
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def store_document(stream, *, filename, owner_pin, kind):
    """Check and store an upload; returns the flushed Document."""
    data = stream.read(MAX_BYTES + 1)
    if not data or len(data) > MAX_BYTES:
        raise AdmissionError("document_required")
    content_type = sniff_content_type(data[:16])
    if content_type is None:
        raise AdmissionError("document_required")
    key = secrets.token_hex(16)
    folder = os.path.join(current_app.config["UPLOAD_FOLDER"], key[:2])
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, key), "wb") as out:
        out.write(data)
    document = Document(
        owner_pin=owner_pin,
        kind=kind,
        original_name=os.path.basename(filename or "document")[:255],
        content_type=content_type,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_key=key,
    )
    db.session.add(document)
    db.session.flush()
    return document


def document_path(document):
    return os.path.join(current_app.config["UPLOAD_FOLDER"], document.storage_key[:2], document.storage_key)
