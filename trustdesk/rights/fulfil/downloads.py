"""Files prepared for the person: stored in the data directory, reachable by a secret link until they expire."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from trustdesk.registry.services import Actor
from trustdesk.rights import clock
from trustdesk.rights.models import (
    Download,
    Request,
)
from trustdesk.rights.services import (
    _token,
    link,
    note_event,
)


def downloads_dir() -> Path:
    return Path(settings.DATA_DIR) / "downloads"


def _store(
    request: Request, fmt: str, name: str, content: bytes, *, use: clock.Terms | None = None
) -> tuple[Download, str]:
    """Write a file for the person; (the download, its secret link). Only the link's hash is kept.

    ``use``: the policy's terms when the caller has them already (reading them is a query)."""
    folder = downloads_dir() / request.reference
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / name
    path.write_bytes(content)
    path.chmod(0o600)
    token, digest = _token()
    now = timezone.now()
    expiry = (use or clock.terms()).download_expiry
    expires = expiry.add_to(now)
    if not isinstance(expires, dt.datetime):  # adding to a datetime gives one
        raise TypeError("a download's expiry is a moment")
    download = Download.objects.create(
        request=request,
        format=fmt,
        path=str(path.relative_to(settings.DATA_DIR)),
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        token_sha256=digest,
        created_at=now,
        expires_at=expires,
    )
    # Written before the commit: should the transaction roll back, do_purge_downloads removes the stray file.
    return download, link(reverse("rights:download", args=[token]))


def delete_download_files(downloads: Any) -> int:
    """Delete the files of these downloads and mark them deleted; returns how many files went."""
    count = 0
    now = timezone.now()
    for download in downloads:
        path = Path(settings.DATA_DIR) / download.path
        if path.exists():
            path.unlink()
            count += 1
        if download.deleted_at is None:
            download.deleted_at = now
            download.save(update_fields=["deleted_at"])
    return count


@transaction.atomic
def do_purge_downloads(*, actor: Actor, now: dt.datetime | None = None) -> int:
    """Delete every download past its expiry (and files no download knows of); journaled with the count."""
    from trustdesk.journal.services import record

    moment = now or timezone.now()
    expired = Download.objects.filter(deleted_at__isnull=True, expires_at__lte=moment)
    count = delete_download_files(expired.select_for_update())
    known = {str(Path(settings.DATA_DIR) / d.path) for d in Download.objects.filter(deleted_at__isnull=True)}
    strays = 0
    root = downloads_dir()
    if root.is_dir():
        for path in root.rglob("*"):
            if path.is_file() and str(path) not in known:
                path.unlink()
                strays += 1
    if count or strays:
        record("rights.downloads.purged", actor=actor.ref, payload={"expired": count, "strays": strays})
    return count + strays


def _by_link(token: str) -> QuerySet[Download]:
    return Download.objects.filter(token_sha256=hashlib.sha256(token.encode("ascii", "replace")).hexdigest())


def download_by_link(token: str) -> Download:
    """The download a link names, for the page that offers it: nothing is read or journaled. LookupError as
    :func:`do_download` gives, when unknown, expired (its file is deleted then, as a download would) or
    deleted."""
    download = _by_link(token).select_related("request").first()
    if download is not None and download.deleted_at is None:
        if download.expires_at > timezone.now():
            return download
        with transaction.atomic():
            delete_download_files(_by_link(token).select_for_update())
        raise LookupError(gettext("this download has expired and has been deleted"))
    raise LookupError(gettext("this download does not exist, or has been deleted"))


def do_download(token: str, *, actor: Actor) -> tuple[Download, bytes]:
    """The file behind a download link, journaled; LookupError when unknown, expired or deleted."""
    return _deliver(_by_link(token), actor=actor)


def do_download_for(request: Request, download_id: int, *, actor: Actor) -> tuple[Download, bytes]:
    """A download of this request (the caller checked that the request is the signed-in person's), journaled
    as a download by its link is; LookupError when it is not this request's, expired or deleted."""
    return _deliver(Download.objects.filter(pk=download_id, request=request), actor=actor)


def _deliver(found: QuerySet[Download], *, actor: Actor) -> tuple[Download, bytes]:
    with transaction.atomic():
        download = found.select_for_update().first()
        if download is not None and download.deleted_at is None:
            if download.expires_at > timezone.now():
                content = (Path(settings.DATA_DIR) / download.path).read_bytes()
                download.times_downloaded += 1
                download.save(update_fields=["times_downloaded"])
                note_event(
                    download.request,
                    "downloaded",
                    actor=actor,
                    payload={"download": download.pk, "format": download.format},
                )
                return download, content
            delete_download_files([download])  # committed before the refusal below
            expired = True
        else:
            expired = False
    if expired:
        raise LookupError(gettext("this download has expired and has been deleted"))
    raise LookupError(gettext("this download does not exist, or has been deleted"))


@transaction.atomic
def do_open_download_as_staff(download: Download, *, actor: Actor) -> bytes:
    """Staff open a file prepared for the person (in the console); journaled on the request's timeline.

    The person's own count of downloads is left as it is. LookupError when the file is gone or expired."""
    download = Download.objects.select_for_update().select_related("request").get(pk=download.pk)
    if download.deleted_at is not None:
        raise LookupError(gettext("this file has been deleted"))
    if download.expires_at <= timezone.now():
        delete_download_files([download])
        raise LookupError(gettext("this file has expired and has been deleted"))
    path = Path(settings.DATA_DIR) / download.path
    if not path.is_file():
        raise LookupError(gettext("this file is missing from the data directory"))
    content = path.read_bytes()
    note_event(
        download.request,
        "downloaded",
        actor=actor,
        payload={"download": download.pk, "format": download.format, "by": "staff"},
    )
    return content


@transaction.atomic
def do_open_original(request: Request, *, actor: Actor) -> bytes:
    """Staff open the letter or e-mail attached to a request; journaled on its timeline."""
    if not request.original:
        raise LookupError(gettext("this request has no original attached"))
    with request.original.open("rb") as handle:
        content = handle.read()
    note_event(request, "original_viewed", actor=actor)
    return bytes(content)
