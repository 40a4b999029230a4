"""Where evidence files are kept: content-addressed by SHA-256, behind one small interface (``put``, ``get``,
``delete``, ``exists``), as httpx keeps its transports swappable. Two stores:

- ``FilesystemStore``: a folder beside the database (``instance/evidence`` by default), each file at
  ``ab/cd/<sha256>`` (written to a temporary name, then renamed: never half a file);
- ``S3Store``: S3-compatible object storage (AWS S3, MinIO, Ceph, ...) through boto3, each file at
  ``<prefix>/<sha256>``; ``CPD_EVIDENCE_URL=s3://bucket/prefix``, with ``CPD_EVIDENCE_S3_ENDPOINT`` for a
  store that is not AWS's and the usual AWS_* variables (or an instance role) for its credentials.

``store_from_url`` makes one from the setting. The store knows bytes and digests only: who may read a
file is the domain's (``store.evidence``) to say.
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

_DIGEST = re.compile(r"[0-9a-f]{64}")


class BlobError(Exception):
    """The store could not be reached or refused: the caller answers 503, never a half-done change."""


class EvidenceStore(Protocol):
    def put(self, digest: str, data: bytes) -> None: ...
    def get(self, digest: str) -> bytes | None: ...
    def delete(self, digest: str) -> None: ...
    def exists(self, digest: str) -> bool: ...


def _checked(digest: str) -> str:
    if not _DIGEST.fullmatch(digest):
        raise ValueError("a blob is named by its SHA-256, in lower-case hex")
    return digest


class FilesystemStore:
    def __init__(self, root: Path):
        self.root = root

    def _path(self, digest: str) -> Path:
        d = _checked(digest)
        return self.root / d[:2] / d[2:4] / d

    def put(self, digest: str, data: bytes) -> None:
        path = self._path(digest)
        if path.exists():
            return                                      # the same bytes are kept once
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except OSError as exc:
            raise BlobError(f"the evidence folder cannot be written: {exc.strerror or exc}") from None

    def get(self, digest: str) -> bytes | None:
        try:
            return self._path(digest).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise BlobError(f"the evidence folder cannot be read: {exc.strerror or exc}") from None

    def delete(self, digest: str) -> None:
        self._path(digest).unlink(missing_ok=True)

    def exists(self, digest: str) -> bool:
        return self._path(digest).is_file()


class S3Store:
    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None, client: Any = None):
        import boto3
        from botocore.config import Config
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client or boto3.client("s3", endpoint_url=endpoint_url, config=Config(
            retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=30))

    def _key(self, digest: str) -> str:
        d = _checked(digest)
        return f"{self.prefix}/{d}" if self.prefix else d

    def _call(self, name: str, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError
        try:
            return getattr(self.client, name)(Bucket=self.bucket, **kwargs)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise BlobError(f"the evidence store refused ({exc.response.get('Error', {}).get('Code')})") from None
        except BotoCoreError as exc:
            raise BlobError(f"the evidence store cannot be reached ({type(exc).__name__})") from None

    def put(self, digest: str, data: bytes) -> None:
        import base64
        import hashlib
        md5 = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
        self._call("put_object", Key=self._key(digest), Body=data, ContentMD5=md5,
                   ContentType="application/octet-stream")

    def get(self, digest: str) -> bytes | None:
        found = self._call("get_object", Key=self._key(digest))
        return None if found is None else bytes(found["Body"].read())

    def delete(self, digest: str) -> None:
        self._call("delete_object", Key=self._key(digest))

    def exists(self, digest: str) -> bool:
        return self._call("head_object", Key=self._key(digest)) is not None


def store_from_url(url: str | None, instance_path: str, endpoint_url: str | None = None) -> EvidenceStore:
    """The store a setting names: ``s3://bucket/prefix``, ``file:///path`` or a folder; by default the
    ``evidence`` folder beside the database."""
    if not url:
        return FilesystemStore(Path(instance_path) / "evidence")
    parsed = urlparse(url)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise ValueError("CPD_EVIDENCE_URL: an S3 address names its bucket, as s3://bucket/prefix")
        return S3Store(parsed.netloc, parsed.path, endpoint_url=endpoint_url)
    if parsed.scheme == "file":
        return FilesystemStore(Path(parsed.path))
    if parsed.scheme:
        raise ValueError(f"CPD_EVIDENCE_URL must be s3://bucket/prefix or a folder, found {url!r}")
    return FilesystemStore(Path(url))
