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
  prefixes, which exist while an object has them. An object store has no lock, so the lock is
  a file in the local data directory, one per store URL: writers on this machine exclude each
  other; writers on other machines are not seen (run ingest, erasure and expiry of one store
  from one machine). Listings are read anew under every lock, never from a cache.
"""

from __future__ import annotations

import fcntl
import hashlib
import posixpath
import shutil
import urllib.parse
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.fs as pafs
from django.core.exceptions import ImproperlyConfigured

LOCAL_PROTOCOLS = ("", "file", "local")


class WeblogsError(Exception):
    """The web-log store cannot do what was asked; the message says why and where."""


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
    def lock(self, *, shared: bool = False) -> Iterator[None]:
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

    def publish_all(self, files: list[tuple[Path, str, str | None]]) -> list[str]:
        """Publish (file, folder, name) in order; on a failure remove what was published and refuse."""
        done: list[str] = []
        try:
            for source, folder, name in files:
                done.append(self.publish(source, folder, name))
        except (OSError, WeblogsError) as exc:
            for path in done:
                with suppress(OSError, WeblogsError):
                    self.remove(path)
            raise WeblogsError(
                f"{self.url}: the store could not be written ({type(exc).__name__}); nothing of this run "
                "was published"
            ) from None
        return done


def _flock(path: Path, *, shared: bool) -> Any:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle = path.open("a")
    fcntl.flock(handle, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
    return handle


class LocalStorage(Storage):
    """A directory: rename publishes, ``flock`` on ``<root>/.lock`` excludes writers."""

    local = True

    def __init__(self, root: Path) -> None:
        self.path = root
        self.root = str(root)
        self.url = self.root

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
        target = Path(folder)
        target.mkdir(parents=True, exist_ok=True, mode=0o700)
        destination = target / (name or source.name)
        source.replace(destination)
        return str(destination)

    def remove(self, path: str) -> None:
        Path(path).unlink()

    def remove_tree(self, path: str) -> None:
        shutil.rmtree(path, ignore_errors=True)

    @contextmanager
    def lock(self, *, shared: bool = False) -> Iterator[None]:
        """Writers exclude each other and readers; readers share."""
        self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle = _flock(self.path / ".lock", shared=shared)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()

    def _staging_root(self) -> Path:
        return self.path / "_staging"  # inside the store: the same file system, so files move by rename


class FsspecStorage(Storage):
    """Any fsspec file system; the lock and the staging directory are local, in ``work_dir``."""

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

    def publish(self, source: Path, folder: str, name: str | None = None) -> str:
        target = self.join(folder, name or source.name)
        try:
            if not self.buckets:
                self.fs.makedirs(folder, exist_ok=True)
            self.fs.put_file(
                str(source), target
            )  # one PUT (or multipart upload): visible whole or not at all
        except Exception as exc:
            raise self._fail(exc, "publishing a file") from None
        source.unlink()
        return target

    def remove(self, path: str) -> None:
        try:
            self.fs.rm_file(path)
        except FileNotFoundError:
            pass
        except Exception as exc:
            raise self._fail(exc, "removing a file") from None

    def remove_tree(self, path: str) -> None:
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

    @contextmanager
    def lock(self, *, shared: bool = False) -> Iterator[None]:
        """The lock file of this store URL in the local data directory (an object store has none)."""
        handle = _flock(self.work_dir / ".lock", shared=shared)
        try:
            self.fs.invalidate_cache()  # another process may have written since the last listing
            self.check()
            yield
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
