"""Where the store's files live: a local directory, or any fsspec URL (S3-compatible object storage).

Every listing, read, publication and deletion of a file of the store goes through a ``Storage``;
DuckDB reads the store through it (``connect``), pyarrow through ``open_input``; both write only
to the local staging directory from which files are published whole.

- A local directory: files are published by rename from a staging directory inside the store
  (the same file system), so that a reader sees a whole file or none; writers take ``.lock`` in
  the store with ``flock``.
- An fsspec URL (``s3://bucket/prefix`` with s3fs, ``gs://`` with gcsfs, ``az://`` with adlfs...):
  files are written in a local staging directory and published by one upload each (an S3 PUT,
  single or multipart, makes the object visible whole or not at all); "directories" are key
  prefixes, which exist while an object has them. Listings are read anew under every lock, never
  from a cache.

The lock of a store at a URL is a file in the local data directory, one per store URL: writers on
this machine exclude each other, and readers (searches) share it. In S3 a writer then also takes
the store's writer lease, ``<root>/_lock/writer.json`` (``WriterLease``): an object made by a
conditional PUT (``If-None-Match: *``), renewed by a heartbeat thread (``If-Match`` on its ETag),
taken over once its holder let it expire (``If-Match`` on the stale ETag: one of two racers
wins), and deleted by a conditional DELETE; so writers on other machines exclude each other too.
A writer that lost its lease publishes and removes nothing more (``LeaseLost``). Readers take no
lease. Other fsspec file systems have no conditional writes here: their lock stays on this
machine, and every writer lock logs a warning that says so.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import fcntl
import hashlib
import json
import logging
import os
import posixpath
import secrets
import shutil
import socket
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.fs as pafs
from django.core.exceptions import ImproperlyConfigured

from trustdesk.lib import durable

LOCAL_PROTOCOLS = ("", "file", "local")
#: On an fsspec file system that is not an object store (sftp, smb...): where a file is uploaded
#: before it is renamed into place (``<root>/<UPLOADS_DIR>/``).
UPLOADS_DIR = "_uploads"
#: The writer lease of a store in S3: ``<root>/<LEASE_PATH>``.
LEASE_PATH = "_lock/writer.json"
#: How long a writer lease lasts unless renewed; the holder renews it every third of that, and
#: starts no publication once two thirds have passed since its last renewal.
LEASE_SECONDS = 300.0
#: How long a writer waits for the lease another writer holds before it gives up: longer than a
#: lease, so that the lease of a writer that died is taken over within one wait.
LEASE_WAIT_SECONDS = 360.0
#: How often a waiting writer looks at the lease again.
LEASE_POLL_SECONDS = 5.0
#: Added to a lease's duration before it counts as expired: the server's times are in whole seconds.
LEASE_MARGIN_SECONDS = 1.0

logger = logging.getLogger(__name__)


class WeblogsError(Exception):
    """The web-log store cannot do what was asked; the message says why and where."""


class LeaseLost(WeblogsError):
    """This writer no longer holds the store's writer lease: it must write nothing more."""


class StoreBusy(WeblogsError):
    """Another writer kept the store for longer than this writer would wait. ``waited``: the seconds
    waited; ``holder``: who holds the store's writer lease on another machine (host, process, since,
    until), None for a writer on this machine. The message is English (the command line's); a page
    words it from these."""

    def __init__(self, message: str, *, waited: float, holder: str | None = None) -> None:
        super().__init__(message)
        self.waited = waited
        self.holder = holder


def redact(url: str) -> str:
    """The URL without a user name, password or query (where some file systems carry secrets)."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def protocol_of(url: str) -> str:
    return url.split("://", 1)[0].lower() if "://" in url else ""


_BASE: duckdb.DuckDBPyConnection | None = None


def connect() -> duckdb.DuckDBPyConnection:
    """A cursor on an in-memory DuckDB database in UTC; it holds no log rows beyond its queries.

    The database is opened once per process; each caller gets its own cursor (its own connection
    to it), so that threads do not share one.
    """
    global _BASE
    if _BASE is None:
        _BASE = duckdb.connect(":memory:")
        _BASE.execute("SET TimeZone = 'UTC'")
    cursor = _BASE.cursor()
    cursor.execute("SET TimeZone = 'UTC'")
    return cursor


class Storage:
    """The operations the store needs; paths are strings, ``/``-separated, under ``root``."""

    url: str  # for messages: never with credentials
    root: str
    local: bool
    #: The lease that this storage's last writer lock took over from a writer that let it expire
    #: (stores in S3 only; ``Store.lock`` journals it).
    taken_over: LeaseState | None = None

    def join(self, *parts: str) -> str:
        return posixpath.join(*parts)

    def dirs(self, path: str) -> list[str]:
        """The names of the directories (prefixes) right under a path, sorted; none if it is absent."""
        raise NotImplementedError

    def files(self, path: str, suffix: str) -> list[str]:
        """The files right under a path whose names end with ``suffix``, sorted."""
        raise NotImplementedError

    def find(self, path: str, suffix: str) -> list[str]:
        """The files anywhere under a path whose names end with ``suffix``, sorted."""
        raise NotImplementedError

    def is_dir(self, path: str) -> bool:
        raise NotImplementedError

    def read_bytes(self, path: str) -> bytes:
        raise NotImplementedError

    def open_input(self, path: str) -> str | pa.NativeFile:
        """What pyarrow opens a file of the store from (a local path, or a file read in ranges)."""
        raise NotImplementedError

    def publish(self, source: Path, folder: str, name: str | None = None) -> str:
        """Move a finished local file into the store, whole: a reader sees all of it or nothing."""
        raise NotImplementedError

    def remove(self, path: str) -> None:
        raise NotImplementedError

    def remove_tree(self, path: str) -> None:
        """Remove a directory (prefix) and everything in it; nothing happens if it is absent."""
        raise NotImplementedError

    def for_duckdb(self, paths: list[str]) -> list[str]:
        """The names under which DuckDB's ``connect()`` of this storage reads the files."""
        return paths

    def connect(self) -> duckdb.DuckDBPyConnection:
        return connect()

    def register(self, con: duckdb.DuckDBPyConnection) -> None:
        """Let a DuckDB database of one's own read this storage's files (``for_duckdb`` names them)."""

    @contextmanager
    def lock(self, *, shared: bool = False, wait: float | None = None) -> Iterator[None]:
        """Writers exclude each other and readers; readers share. ``wait``: the most seconds to wait
        for another writer (on this machine, and in S3 on another one); without it, as long as it takes
        on this machine."""
        raise NotImplementedError
        yield  # pragma: no cover

    @contextmanager
    def staging(self) -> Iterator[Path]:
        """A local scratch directory for one writer, removed afterwards."""
        folder = self._staging_root() / uuid.uuid4().hex
        folder.mkdir(parents=True, mode=0o700)
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def clear_stale_staging(self) -> None:
        """Remove what a writer that died left behind; call with the exclusive lock held."""
        shutil.rmtree(self._staging_root(), ignore_errors=True)

    def _staging_root(self) -> Path:
        raise NotImplementedError

    def _remove(self, path: str) -> None:
        self.remove(path)

    def _ensure_lease(self) -> None:
        """Refuse (LeaseLost) once the writer lease this storage holds is lost; locally, nothing to do."""

    def _before_publishing(self, files: list[tuple[Path, str, str | None]]) -> None:
        """What a storage does with a run's files before the first is published."""

    def _take_back(self, paths: list[str]) -> None:
        """Remove the files a failed run published (its own new files, also under a lost lease)."""
        for path in paths:
            with suppress(OSError, WeblogsError):
                self._remove(path)

    def publish_all(self, files: list[tuple[Path, str, str | None]]) -> list[str]:
        """Publish (file, folder, name) in order; on a failure remove what was published and refuse."""
        done: list[str] = []
        try:
            self._ensure_lease()  # before anything: a writer that lost its lease publishes nothing
            self._before_publishing(files)
            for source, folder, name in files:
                done.append(self.publish(source, folder, name))
        except LeaseLost as exc:
            self._take_back(done)
            raise WeblogsError(f"{exc}; nothing of this run was published") from None
        except (OSError, WeblogsError) as exc:
            self._take_back(done)
            raise WeblogsError(
                f"{self.url}: the store could not be written ({type(exc).__name__}); nothing of this run "
                "was published"
            ) from None
        return done


#: Files written to disk at once when a local store publishes a run's files.
SYNC_THREADS = 4
#: How often a writer with a limited wait tries the local lock again.
FLOCK_POLL_SECONDS = 0.2


def _flock(path: Path, *, shared: bool, wait: float | None = None, store: str = "") -> Any:
    """The lock file, locked shared or exclusive; without ``wait`` as long as it takes, with it at most
    that many seconds, then a refusal that says the store is busy."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle = path.open("a")
    mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    if wait is None:
        fcntl.flock(handle, mode)
        return handle
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(handle, mode | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            if time.monotonic() >= deadline:
                handle.close()
                raise StoreBusy(
                    f"{store or path.parent}: another process on this machine is writing the store "
                    f"(an ingest, an erasure or expiry); waited {wait:g} s: try again once it is done",
                    waited=wait,
                ) from None
            time.sleep(FLOCK_POLL_SECONDS)


class LocalStorage(Storage):
    """A directory: rename publishes, ``flock`` on ``<root>/.lock`` excludes writers."""

    local = True

    def __init__(self, root: Path) -> None:
        self.path = root
        self.root = str(root)
        self.url = self.root
        #: Within ``publish_all``: the directories its renames changed, synced once at its end.
        self._renamed_in: set[Path] | None = None

    def dirs(self, path: str) -> list[str]:
        folder = Path(path)
        if not folder.is_dir():
            return []
        return sorted(entry.name for entry in folder.iterdir() if entry.is_dir())

    def files(self, path: str, suffix: str) -> list[str]:
        return sorted(str(file) for file in Path(path).glob(f"*{suffix}"))

    def find(self, path: str, suffix: str) -> list[str]:
        return sorted(str(file) for file in Path(path).rglob(f"*{suffix}"))

    def is_dir(self, path: str) -> bool:
        return Path(path).is_dir()

    def read_bytes(self, path: str) -> bytes:
        return Path(path).read_bytes()

    def open_input(self, path: str) -> str:
        return path  # pyarrow opens (and closes) the local file itself

    def publish(self, source: Path, folder: str, name: str | None = None) -> str:
        """Durably: the file's contents on disk before its name is, the changed directories after (a
        crash leaves the old file or the new one whole, never a name without its contents)."""
        destination = Path(folder) / (name or source.name)
        if self._renamed_in is not None:
            # Within publish_all, which synced the file already and syncs the directories at its end.
            durable.move_into(source, destination, self._renamed_in)
            return str(destination)
        durable.sync(source)
        touched: set[Path] = set()
        durable.move_into(source, destination, touched)
        durable.sync_all(sorted(touched))
        return str(destination)

    def _before_publishing(self, files: list[tuple[Path, str, str | None]]) -> None:
        durable.sync_all([source for source, _, _ in files], threads=SYNC_THREADS)

    def publish_all(self, files: list[tuple[Path, str, str | None]]) -> list[str]:
        """As one publication, but durably in three steps: every file's contents on disk (several at
        once), then the renames, then each changed directory once (on a journaling file system the
        first of those commits every rename at once)."""
        self._renamed_in = set()
        try:
            return super().publish_all(files)
        finally:
            renamed_in, self._renamed_in = self._renamed_in, None
            durable.sync_all(sorted(renamed_in))

    def remove(self, path: str) -> None:
        Path(path).unlink()
        durable.sync(Path(path).parent)  # gone for good: a crash does not bring it back

    def remove_tree(self, path: str) -> None:
        shutil.rmtree(path, ignore_errors=True)
        if Path(path).parent.is_dir():
            durable.sync(Path(path).parent)

    @contextmanager
    def lock(self, *, shared: bool = False, wait: float | None = None) -> Iterator[None]:
        """Writers exclude each other and readers; readers share (``flock``: every machine that mounts
        the directory must honour it); ``wait``: at most that many seconds, then a refusal."""
        self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle = _flock(self.path / ".lock", shared=shared, wait=wait, store=str(self.path))
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()

    def _staging_root(self) -> Path:
        return self.path / "_staging"  # inside the store: the same file system, so files move by rename


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _error_code(exc: BaseException) -> tuple[str, int]:
    """The S3 error code and HTTP status behind an exception of s3fs (its botocore cause), if any."""
    seen: BaseException | None = exc
    while seen is not None:
        response = getattr(seen, "response", None)
        if isinstance(response, dict):
            code = str(response.get("Error", {}).get("Code", ""))
            status = response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
            return code, int(status)
        seen = seen.__cause__
    return "", 0


def _lost_race(exc: BaseException) -> bool:
    """A conditional write or delete refused because the object is not (or no longer) the one named."""
    if isinstance(exc, FileExistsError):  # s3fs's translation of a refused If-None-Match
        return True
    code, status = _error_code(exc)
    return code in ("PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey") or status in (409, 412)


def _unsupported(exc: BaseException) -> bool:
    """The service does not know a conditional request (some S3-compatible ones)."""
    code, status = _error_code(exc)
    return code == "NotImplemented" or status == 501


def _printable(value: Any, limit: int = 80) -> str:
    """A field of a lease written by another writer, fit for a message (it is not trusted)."""
    text = str(value)[:limit]
    return "".join(ch if ch.isprintable() else "?" for ch in text) or "?"


@dataclass(frozen=True)
class LeaseState:
    """The lease object as read: its ETag, what it says, and whether its time has run out."""

    etag: str
    holder: dict[str, Any]
    expired: bool

    def describe(self) -> str:
        h = self.holder
        return (
            f"host {_printable(h.get('host'))}, process {_printable(h.get('pid'))}, "
            f"since {_printable(h.get('acquired_at'))}, until {_printable(h.get('expires_at'))}"
        )

    def summary(self) -> dict[str, str]:
        """The holder without its owner id: for a journal entry."""
        return {
            name: _printable(self.holder.get(name)) for name in ("host", "pid", "acquired_at", "expires_at")
        }


class WriterLease:
    """An exclusive writer lease on a store in S3: one object, ``<root>/_lock/writer.json``.

    Acquired by a conditional PUT that creates it (``If-None-Match: *``) or, when the holder let it
    expire, by one that replaces it only while it is that stale object (``If-Match`` on its ETag):
    of two writers that race for it, one write succeeds and the other is refused. A heartbeat
    thread renews it every third of its duration (``If-Match`` on the ETag it holds); a writer
    whose renewal is refused, or that could not renew in time, has lost it, and ``ensure`` refuses
    from then on. Released by a conditional DELETE (``If-Match``). Expiry is judged by the server's
    clock alone (the object's ``Last-Modified`` and the response's ``Date``), so the writers'
    clocks need not agree. The object holds a random owner id, the host name, the process id and
    times: no personal data.
    """

    def __init__(
        self,
        fs: Any,
        path: str,
        url: str,
        *,
        seconds: float = LEASE_SECONDS,
        poll: float = LEASE_POLL_SECONDS,
        margin: float = LEASE_MARGIN_SECONDS,
    ) -> None:
        self.fs, self.path, self.url = fs, path, url
        self.bucket, self.key, _version = fs.split_path(path)
        self.seconds, self.poll, self.margin = seconds, poll, margin
        self.owner = ""
        self.etag: str | None = None
        self.acquired_at: dt.datetime | None = None
        self.taken_over: LeaseState | None = None
        self.lost = False
        self._good_until = 0.0  # monotonic: no publication starts after this
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._guard = threading.Lock()

    # --- S3 requests ---------------------------------------------------------------------------

    def _body(self) -> bytes:
        now = dt.datetime.now(dt.UTC)
        acquired = self.acquired_at or now
        return json.dumps(
            {
                "owner": self.owner,
                "host": socket.gethostname(),
                "pid": os.getpid(),
                "acquired_at": _iso(acquired),
                "renewed_at": _iso(now),
                "expires_at": _iso(now + dt.timedelta(seconds=self.seconds)),
                "seconds": self.seconds,
            },
            sort_keys=True,
        ).encode("utf-8")

    def _put(self, **condition: str) -> str:
        """Write the lease under a condition; returns the new ETag (raises when refused)."""
        response = self.fs.call_s3(
            "put_object",
            Bucket=self.bucket,
            Key=self.key,
            Body=self._body(),
            ContentType="application/json",
            **condition,
        )
        return str(response["ETag"])

    def read(self) -> LeaseState | None:
        """The lease as it is in the store, or None if there is none."""

        async def get() -> tuple[dict[str, Any], bytes]:
            response = await self.fs._call_s3("get_object", Bucket=self.bucket, Key=self.key)
            body = response["Body"]
            try:
                data: bytes = await body.read()
            finally:
                body.close()
            return response, data

        from fsspec.asyn import sync

        try:
            response, data = sync(self.fs.loop, get)
        except FileNotFoundError:
            return None
        except Exception as exc:
            raise self._failure(exc, "reading the writer lease") from None
        try:
            holder = json.loads(data)
            if not isinstance(holder, dict):
                raise TypeError
            seconds = float(holder.get("seconds", LEASE_SECONDS))
        except (ValueError, TypeError):
            holder, seconds = {}, LEASE_SECONDS  # not a lease this code wrote: it expires as one would
        date = response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
        server_now = email.utils.parsedate_to_datetime(date) if date else dt.datetime.now(dt.UTC)
        modified: dt.datetime = response["LastModified"]
        age = (server_now - modified).total_seconds()
        return LeaseState(str(response["ETag"]), holder, expired=age >= seconds + self.margin)

    # --- acquiring, renewing, releasing --------------------------------------------------------

    def _took(self, etag: str, sent: float) -> None:
        with self._guard:
            self.etag = etag
            self._good_until = sent + self.seconds * 2 / 3

    def try_acquire(self) -> LeaseState | None:
        """Take the lease if it is free or expired; returns None if taken, else the valid holder's state."""
        state: LeaseState | None = None
        for _attempt in range(5):  # a lease released between two requests: try again
            self.owner = secrets.token_hex(16)
            self.acquired_at = dt.datetime.now(dt.UTC)
            sent = time.monotonic()
            try:
                etag = self._put(IfNoneMatch="*")
            except Exception as exc:
                if not _lost_race(exc):
                    raise self._failure(exc, "taking the writer lease") from None
            else:
                self._took(etag, sent)
                logger.info("%s: writer lease taken", self.url)
                return None
            state = self.read()
            if state is None:
                continue
            if not state.expired:
                return state
            if self.take_over(state):
                return None
            state = self.read()
            if state is not None and not state.expired:
                return state
        return state or LeaseState("", {}, expired=False)

    def take_over(self, stale: LeaseState) -> bool:
        """Replace a stale lease, only while it is still that object: of two racers, one wins."""
        self.owner = secrets.token_hex(16)
        self.acquired_at = dt.datetime.now(dt.UTC)
        sent = time.monotonic()
        try:
            etag = self._put(IfMatch=stale.etag)
        except Exception as exc:
            if _lost_race(exc):
                logger.info("%s: another writer took over the stale writer lease first", self.url)
                return False
            raise self._failure(exc, "taking over the writer lease") from None
        self._took(etag, sent)
        self.taken_over = stale
        logger.warning(
            "%s: writer lease taken over from a writer that let it expire (%s)", self.url, stale.describe()
        )
        return True

    def acquire(self, wait: float) -> None:
        """Take the lease, waiting up to ``wait`` seconds for another writer to release it or let it expire."""
        deadline = time.monotonic() + wait
        waiting = False
        while True:
            holder = self.try_acquire()
            if holder is None:
                self._start_heartbeat()
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                logger.warning("%s: gave up waiting for the writer lease (%s)", self.url, holder.describe())
                raise StoreBusy(
                    f"{self.url}: another writer holds the store's writer lease ({holder.describe()}); "
                    f"waited {wait:g} s: try again once it is done, or once its lease has expired",
                    waited=wait,
                    holder=holder.describe(),
                )
            if not waiting:
                logger.info("%s: waiting for the writer lease (%s)", self.url, holder.describe())
                waiting = True
            time.sleep(min(self.poll, remaining))

    def _start_heartbeat(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._beat, name="weblogs-writer-lease", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(self.seconds / 3):
            self.renew()
            if self.lost:
                return

    def renew(self) -> None:
        """Extend the lease (If-Match on the ETag held); a refusal means another writer has it now."""
        with self._guard:
            etag = self.etag
        if etag is None or self.lost:
            return
        sent = time.monotonic()
        try:
            new = self._put(IfMatch=etag)
        except Exception as exc:
            if _lost_race(exc):
                self.lost = True
                logger.warning("%s: the writer lease was lost: another writer holds it now", self.url)
            else:
                logger.warning(
                    "%s: the writer lease could not be renewed (%s); trying again",
                    self.url,
                    type(exc).__name__,
                )
                if time.monotonic() >= self._good_until:
                    self.lost = True
                    logger.warning("%s: the writer lease was lost: it could not be renewed in time", self.url)
            return
        self._took(new, sent)

    def ensure(self) -> None:
        """Refuse (WeblogsError) unless the lease is still held, with time to finish a publication."""
        if self.lost or time.monotonic() >= self._good_until:
            if not self.lost:
                self.lost = True
                logger.warning("%s: the writer lease was lost: it was not renewed in time", self.url)
            raise LeaseLost(
                f"{self.url}: this writer lost the store's writer lease (another writer took it over, or it "
                "could not be renewed in time): nothing more is written"
            )

    def release(self) -> None:
        """Stop the heartbeat and delete the lease if it is still ours; never raises (a lease left
        behind expires)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        with self._guard:
            etag, self.etag = self.etag, None
        if etag is None:
            return
        try:
            self._delete(etag)
        except Exception as exc:
            logger.warning("%s: the writer lease could not be released (%s)", self.url, type(exc).__name__)

    def _delete(self, etag: str) -> None:
        try:
            self.fs.call_s3("delete_object", Bucket=self.bucket, Key=self.key, IfMatch=etag)
        except Exception as exc:
            if _lost_race(exc):
                logger.warning("%s: the writer lease was not ours any more: left to its holder", self.url)
                return
            if not _unsupported(exc):
                raise
            # No conditional DELETE on this service: look, then delete. Between the two another
            # writer could take over an expired lease; ours is not expired unless it was lost (then
            # it is left to expire), since it was renewed less than a third of its time ago.
            state = self.read()
            if self.lost or state is None or state.etag != etag:
                logger.warning("%s: the writer lease was not ours any more: left to its holder", self.url)
                return
            with suppress(FileNotFoundError):
                self.fs.call_s3("delete_object", Bucket=self.bucket, Key=self.key)
        logger.info("%s: writer lease released", self.url)

    def _failure(self, exc: BaseException, doing: str) -> WeblogsError:
        if _unsupported(exc):
            return WeblogsError(
                f"{self.url}: the object store refused a conditional write ({type(exc).__name__}) while "
                f"{doing}: it must support If-None-Match and If-Match on PUT for the writer lease"
            )
        if isinstance(exc, PermissionError):
            return WeblogsError(f"{self.url}: access denied while {doing}: check the credentials and rights")
        return WeblogsError(f"{self.url}: {doing} failed ({type(exc).__name__})")


def _is_s3(fs: Any) -> bool:
    try:
        from s3fs import S3FileSystem
    except ImportError:
        return False
    return isinstance(fs, S3FileSystem)


class FsspecStorage(Storage):
    """Any fsspec file system; the lock and the staging directory are local, in ``work_dir``; in S3 a
    writer also holds the store's writer lease (``lease``) while it has the lock."""

    local = False

    def __init__(self, url: str, options: dict[str, Any], work_dir: Path) -> None:
        import fsspec

        self.url = redact(url)
        try:
            # A fresh instance: credentials and options are read now, not from an older instance.
            fs, root = fsspec.core.url_to_fs(url, skip_instance_cache=True, **options)
        except ImportError as exc:
            raise ImproperlyConfigured(
                f"TRUSTDESK_WEBLOGS_URL={self.url!r}: the package for {protocol_of(url)}:// is not installed "
                f"({exc}); for s3:// install trustdesk[s3]"
            ) from None
        except ValueError:
            raise ImproperlyConfigured(
                f"TRUSTDESK_WEBLOGS_URL={self.url!r}: the protocol {protocol_of(url)!r} is not known to fsspec"
            ) from None
        except TypeError as exc:
            raise ImproperlyConfigured(
                f"TRUSTDESK_WEBLOGS_OPTIONS: an option is not accepted by {protocol_of(url)}:// ({exc})"
            ) from None
        self.fs = fs
        self.root = str(root).rstrip("/")
        if not self.root:
            raise ImproperlyConfigured(f"TRUSTDESK_WEBLOGS_URL={self.url!r} names no bucket")
        digest = hashlib.sha256(self.fs.unstrip_protocol(self.root).encode()).hexdigest()[:16]
        self.work_dir = work_dir / digest
        # s3://bucket/prefix names a bucket first; sftp:// or memory:// a path from the root.
        self.buckets = not self.root.startswith("/")
        self._duck: duckdb.DuckDBPyConnection | None = None
        self._arrow: pafs.PyFileSystem | None = None
        self._checked = False
        #: Whether writers on other machines are excluded: S3 (s3fs) has conditional writes.
        self.leases = _is_s3(fs)
        self.lease_seconds = LEASE_SECONDS
        self.lease_wait = LEASE_WAIT_SECONDS
        self.lease_poll = LEASE_POLL_SECONDS
        self.lease_margin = LEASE_MARGIN_SECONDS
        self.lease: WriterLease | None = None  # while this storage holds the writer lease
        self.taken_over = None

    def _fail(self, exc: BaseException, doing: str) -> WeblogsError:
        """A message that names the store and the kind of failure, never a credential."""
        name = type(exc).__name__
        if name in ("NoCredentialsError", "PartialCredentialsError", "CredentialRetrievalError"):
            return WeblogsError(
                f"{self.url}: no credentials for the object store: set them as its client expects "
                "(for s3:// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)"
            )
        if isinstance(exc, PermissionError):
            return WeblogsError(f"{self.url}: access denied while {doing}: check the credentials and rights")
        return WeblogsError(f"{self.url}: {doing} failed ({name})")

    def check(self) -> None:
        """The bucket (the first part of the path) must exist: Trustdesk makes prefixes, never a bucket.

        On a file system of paths (sftp://, memory://) the store's directory is made instead.
        """
        if self._checked:
            return
        bucket = self.root.split("/", 1)[0]
        try:
            if self.buckets:
                self.fs.info(bucket)
            else:
                self.fs.makedirs(self.root, exist_ok=True)
        except FileNotFoundError:
            raise WeblogsError(
                f"{self.url}: the bucket {bucket!r} does not exist (or is not visible with these credentials): "
                "create it first"
            ) from None
        except Exception as exc:
            raise self._fail(exc, "reaching the bucket") from None
        self._checked = True

    def dirs(self, path: str) -> list[str]:
        return sorted(
            posixpath.basename(e["name"].rstrip("/")) for e in self._ls(path) if e["type"] == "directory"
        )

    def files(self, path: str, suffix: str) -> list[str]:
        return sorted(e["name"] for e in self._ls(path) if e["type"] == "file" and e["name"].endswith(suffix))

    def _ls(self, path: str) -> list[dict[str, Any]]:
        try:
            entries: list[dict[str, Any]] = self.fs.ls(path, detail=True)
        except FileNotFoundError:
            return []
        except Exception as exc:
            raise self._fail(exc, "listing") from None
        return entries

    def find(self, path: str, suffix: str) -> list[str]:
        try:
            found: list[str] = self.fs.find(path)  # one listing of every key under the prefix
        except FileNotFoundError:
            return []
        except Exception as exc:
            raise self._fail(exc, "listing") from None
        return sorted(name for name in found if name.endswith(suffix))

    def is_dir(self, path: str) -> bool:
        return bool(self._ls(path))

    def read_bytes(self, path: str) -> bytes:
        try:
            data: bytes = self.fs.cat_file(path)
        except Exception as exc:
            raise self._fail(exc, "reading a file") from None
        return data

    def open_input(self, path: str) -> pa.NativeFile:
        """The file through pyarrow's wrapper of the fsspec file system: ranged reads, no download."""
        if self._arrow is None:
            self._arrow = pafs.PyFileSystem(pafs.FSSpecHandler(self.fs))
        try:
            return self._arrow.open_input_file(path)
        except Exception as exc:
            raise self._fail(exc, "reading a file") from None

    def _ensure_lease(self) -> None:
        """Refuse to write once the writer lease held is lost (another writer may be writing)."""
        if self.lease is not None:
            self.lease.ensure()

    def publish(self, source: Path, folder: str, name: str | None = None) -> str:
        self._ensure_lease()
        target = self.join(folder, name or source.name)
        try:
            if self.buckets:
                # One PUT (or multipart upload): an object store shows it whole or not at all.
                self.fs.put_file(str(source), target)
            else:
                # A file system (sftp, smb...) shows an upload while it is written: the file goes to
                # the store's uploads folder first, which no reader looks in, and is then renamed into
                # place (on sftp a POSIX rename: whole or not at all).
                self.fs.makedirs(folder, exist_ok=True)
                uploads = self.join(self.root, UPLOADS_DIR)
                self.fs.makedirs(uploads, exist_ok=True)
                partial = self.join(uploads, f"{uuid.uuid4().hex}-{name or source.name}")
                self.fs.put_file(str(source), partial)
                self.fs.mv(partial, target)
        except Exception as exc:
            raise self._fail(exc, "publishing a file") from None
        source.unlink()
        return target

    def clear_stale_staging(self) -> None:
        """Remove what a writer that died left behind (the local staging, and on a file system the
        uploads it had not renamed into place); call with the exclusive lock held."""
        super().clear_stale_staging()
        if not self.buckets:
            uploads = self.join(self.root, UPLOADS_DIR)
            try:
                if self.fs.exists(uploads):
                    self.fs.rm(uploads, recursive=True)
            except Exception as exc:
                raise self._fail(exc, "removing unfinished uploads") from None

    def remove(self, path: str) -> None:
        self._ensure_lease()
        self._remove(path)

    def _remove(self, path: str) -> None:
        try:
            self.fs.rm_file(path)
        except FileNotFoundError:
            pass
        except Exception as exc:
            raise self._fail(exc, "removing a file") from None

    def remove_tree(self, path: str) -> None:
        self._ensure_lease()
        try:
            self.fs.rm(path, recursive=True)
        except FileNotFoundError:
            pass
        except Exception as exc:
            raise self._fail(exc, "removing files") from None

    def for_duckdb(self, paths: list[str]) -> list[str]:
        return [self.fs.unstrip_protocol(path) for path in paths]

    def register(self, con: duckdb.DuckDBPyConnection) -> None:
        con.register_filesystem(self.fs)

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A DuckDB database of this store's own, reading through its file system."""
        if self._duck is None:
            self._duck = duckdb.connect(":memory:")
            self._duck.execute("SET TimeZone = 'UTC'")
            self._duck.register_filesystem(self.fs)
        cursor = self._duck.cursor()
        cursor.execute("SET TimeZone = 'UTC'")
        return cursor

    def writer_lease(self) -> WriterLease:
        """A writer lease on this store (not yet taken), with this storage's durations."""
        return WriterLease(
            self.fs,
            self.join(self.root, LEASE_PATH),
            self.url,
            seconds=self.lease_seconds,
            poll=self.lease_poll,
            margin=self.lease_margin,
        )

    @contextmanager
    def lock(self, *, shared: bool = False, wait: float | None = None) -> Iterator[None]:
        """The lock file of this store URL in the local data directory; for a writer in S3 also the lease.

        Readers share the local lock only. A writer takes the local lock (writers on this machine
        queue there), then the store's writer lease (``WriterLease``: writers on other machines),
        waiting up to ``wait`` seconds in all (for the lease: ``lease_wait`` without it). On a file system without
        conditional writes the lease is not taken and a warning says so.
        """
        started = time.monotonic()
        handle = _flock(self.work_dir / ".lock", shared=shared, wait=wait, store=self.url)
        waited = time.monotonic() - started  # for the lock of this machine (what is left is the lease's)
        try:
            self.fs.invalidate_cache()  # another process may have written since the last listing
            self.check()
            if shared:
                yield
                return
            if not self.leases:
                logger.warning(
                    "%s: this file system has no conditional writes: the writer lock is on this machine "
                    "only, writers on other machines are not excluded",
                    self.url,
                )
                yield
                return
            lease = self.writer_lease()
            lease.acquire(self.lease_wait if wait is None else max(0.0, round(wait - waited, 1)))
            self.lease, self.taken_over = lease, lease.taken_over
            try:
                self.fs.invalidate_cache()  # a writer on another machine may have written while we waited
                yield
            finally:
                self.lease = None
                lease.release()
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()

    def _staging_root(self) -> Path:
        return self.work_dir / "_staging"


def open_storage(url: str, *, options: dict[str, Any], work_dir: Path) -> Storage:
    """The storage of a URL: a local directory for a path or file://, else the fsspec file system."""
    protocol = protocol_of(url)
    if protocol in LOCAL_PROTOCOLS:
        path = url.split("://", 1)[1] if "://" in url else url
        return LocalStorage(Path(path).expanduser().resolve())
    return FsspecStorage(url, options, work_dir)
