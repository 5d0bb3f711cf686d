"""Documents attached to a case: type detected from the content, size checked, bytes kept on disk.

The type is read from the file's first bytes (its signature), never from its name or the type the
browser claims: PDF ``%PDF-``, PNG ``\\x89PNG\\r\\n\\x1a\\n``, JPEG ``\\xff\\xd8\\xff``, and DOCX a
ZIP holding ``word/document.xml`` (ISO/IEC 29500 Office Open XML). Anything else is refused, so a
script renamed ``.pdf`` is not stored. The bytes go to ``<data dir>/case-documents/<case>/<uuid>``,
outside the database rows; the row keeps the name, type, size and SHA-256.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from pathlib import Path
from uuid import uuid4

MEDIA_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg",
               "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


def sniff(content: bytes) -> str | None:
    """The document's type from its signature, or ``None`` when it is none we accept."""
    if content.startswith(b"%PDF-"):
        return "pdf"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if content.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                if "word/document.xml" in archive.namelist():
                    return "docx"
        except zipfile.BadZipFile:
            return None
    return None


def safe_filename(name: str) -> str:
    """The name to show and offer on download: its last path part, plain characters only."""
    base = re.split(r"[\\/]", name)[-1]
    cleaned = re.sub(r"[^A-Za-z0-9 ._()-]", "_", base).strip(" .")
    return (cleaned or "document")[:200]


def store(folder: Path, case_id: int, content: bytes) -> tuple[str, str]:
    """Write the bytes under ``folder``; (the relative name stored, their SHA-256)."""
    relative = f"{case_id}/{uuid4().hex}"
    target = folder / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    return relative, hashlib.sha256(content).hexdigest()


def read(folder: Path, stored_as: str) -> bytes:
    if not re.fullmatch(r"\d+/[0-9a-f]{32}", stored_as):
        raise ValueError("not a stored document name")
    return (folder / stored_as).read_bytes()
