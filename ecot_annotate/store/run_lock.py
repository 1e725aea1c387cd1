"""One run at a time per output folder: a lock file `OUT/run.lock` saying who holds it.

Two runs writing one OUT delete each other's staging files and mix their outputs, so the second
one must stop at once with one line. The lock holds the host, pid and start time of its run.

Local disks: the lock is prepared under a temporary name, locked with flock, then linked into
place (link fails when the name exists, so taking it is atomic and it is never visible unlocked).
A lock left by a process that died is taken over when it is from this host, its pid is gone and
no one holds its flock. A lock from another host is never taken over: nothing here can prove
that run is gone, so the message says which file to delete.

Object stores (gs://, s3://) have no flock and no link: the lock is created with a conditional
write that fails when the object exists (a GCS generation-match of 0, S3 If-None-Match), and
removed only while it is still ours. Those two calls go through the stores' own clients
(google-cloud-storage, boto3) and need a real bucket; no test on a machine without one covers them.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import socket
import uuid
from pathlib import Path

from ecot_annotate.errors import EcotError

LOCK_NAME = "run.lock"


class RunLockedError(EcotError):
    """Another run holds the output folder."""


def _info() -> dict:
    return {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "token": uuid.uuid4().hex,
    }


def _holder(info: dict | None, path: str) -> str:
    if not info:
        return f"{path} exists (written by a run that has not said who it is)"
    return (
        f"pid {info.get('pid')} on host {info.get('host')} since {info.get('started')} holds {path}"
    )


def pid_alive(pid: object) -> bool:
    """Whether process `pid` of this host may still run (True when it cannot be told)."""
    if not isinstance(pid, int) or pid <= 0:
        return True  # unknown: never take over what cannot be checked
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read(path: Path) -> dict | None:
    try:
        found = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


class _LocalLock:
    def __init__(self, folder: str):
        self.path = Path(folder) / LOCK_NAME
        self.fd: int | None = None

    def acquire(self, info: dict) -> None:
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{LOCK_NAME}-{info['token']}")
        fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, json.dumps(info).encode())
        try:
            os.link(tmp, self.path)
        except FileExistsError:
            os.close(fd)
            self._take_over_stale(info)
            return
        finally:
            tmp.unlink(missing_ok=True)
        self.fd = fd

    def _take_over_stale(self, info: dict) -> None:
        import fcntl

        try:
            fd = os.open(self.path, os.O_RDWR)
        except FileNotFoundError:  # released meanwhile: try again from the start
            return self.acquire({**info, "token": uuid.uuid4().hex})
        held = _read(self.path)
        stale = (
            held is not None and held.get("host") == info["host"] and not pid_alive(held.get("pid"))
        )
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            stale = False
        if not stale:
            os.close(fd)
            raise RunLockedError(
                f"another run is writing this output folder: {_holder(held, str(self.path))}; "
                f"wait for it, or delete {self.path} if that run is gone"
            )
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        self.fd = fd

    def release(self, info: dict) -> None:
        if self.fd is None:
            return
        if (_read(self.path) or {}).get("token") == info["token"]:
            self.path.unlink(missing_ok=True)
        os.close(self.fd)
        self.fd = None


class _ObjectLock:
    """gs:// or s3://: a conditional create, and a delete only while the object is still ours."""

    def __init__(self, folder: str):
        self.url = f"{folder.rstrip('/')}/{LOCK_NAME}"
        scheme, rest = self.url.split("://", 1)
        self.scheme, (self.bucket, self.key) = scheme, rest.split("/", 1)
        self.generation = None

    def acquire(self, info: dict) -> None:
        data = json.dumps(info).encode()
        if self.scheme == "gs":
            from google.api_core.exceptions import PreconditionFailed
            from google.cloud import storage

            blob = storage.Client().bucket(self.bucket).blob(self.key)
            try:
                blob.upload_from_string(data, if_generation_match=0)
            except PreconditionFailed:
                self._refuse(blob.download_as_bytes())
            self.generation = blob.generation
            return
        import boto3

        client = boto3.client("s3")
        try:
            client.put_object(Bucket=self.bucket, Key=self.key, Body=data, IfNoneMatch="*")
        except client.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "PreconditionFailed":
                raise
            self._refuse(client.get_object(Bucket=self.bucket, Key=self.key)["Body"].read())

    def _refuse(self, held: bytes) -> None:
        try:
            found = json.loads(held)
        except ValueError:
            found = None
        raise RunLockedError(
            f"another run is writing this output folder: {_holder(found, self.url)}; "
            f"wait for it, or delete {self.url} if that run is gone"
        )

    def release(self, info: dict) -> None:
        if self.scheme == "gs":
            from google.cloud import storage

            blob = storage.Client().bucket(self.bucket).blob(self.key)
            with contextlib.suppress(Exception):
                blob.delete(if_generation_match=self.generation)
            return
        import boto3

        client = boto3.client("s3")
        body = client.get_object(Bucket=self.bucket, Key=self.key)["Body"].read()
        if json.loads(body).get("token") == info["token"]:
            client.delete_object(Bucket=self.bucket, Key=self.key)


@contextlib.contextmanager
def run_lock(out: str):
    """Hold OUT's lock for the body of the `with`; raise RunLockedError when another run holds it."""
    lock = _ObjectLock(out) if "://" in out else _LocalLock(out)
    info = _info()
    lock.acquire(info)
    try:
        yield info
    finally:
        lock.release(info)
