"""Evidence files kept beside a workbook: a certificate, an attendance e-mail saved as PDF, a photo.

``cpd evidence add LOG.xlsx ROW FILE`` copies the file into a folder beside the workbook named for it
(``log.xlsx`` -> ``log-evidence/``) under a name that holds the start of its SHA-256, and writes
``log-evidence/name-3f2a9c1d.pdf sha256:<64 hex>`` into the activity's Evidence cell (after whatever
the member wrote there). ``cpd check`` then reports evidence whose file is missing or whose bytes no
longer match. A file's type is sniffed from its bytes, never taken from its name: PDF, PNG, JPEG and
HEIC are kept, each at most 10 MB (``CPD_EVIDENCE_MAX_BYTES``).
"""
from .files import (EVIDENCE_TYPES, EvidenceEntry, EvidenceProblem, check_entries, entries, evidence_folder,
                    evidence_kind, keep,
                    kept_digests, located, max_bytes, sniff)

__all__ = ["EVIDENCE_TYPES", "EvidenceEntry", "EvidenceProblem", "check_entries", "entries", "evidence_folder",
           "evidence_kind", "keep",
           "kept_digests", "located", "max_bytes", "sniff"]
