"""Download my data: an access request fulfilled at once, its files for the signed-in owner only."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from tests.accounts.personas import Personas
from tests.portal.conftest import client_for
from trustdesk.rights.models import Download, Request

pytestmark = pytest.mark.django_db


def _download_for(user) -> Request:
    client = client_for(user)
    response = client.post("/portal/data/download/")
    made = Request.objects.get(person=user.profile.person, kind="access")
    assert response["Location"] == f"/portal/requests/{made.reference}/"
    return made


def test_it_prepares_the_files_and_hands_them_to_their_owner(portal: Personas) -> None:
    made = _download_for(portal.olga)
    assert (made.status, made.identity_method, made.channel) == ("fulfilled", "two_factor", "portal")
    client = client_for(portal.olga)
    page = client.get(f"/portal/requests/{made.reference}/").content.decode()
    report = made.downloads.get(format=Download.Format.REPORT_HTML)
    assert f"/portal/requests/{made.reference}/downloads/{report.pk}/" in page
    assert "Readable report (HTML)" in page and "All data (JSON)" in page
    response = client.get(f"/portal/requests/{made.reference}/downloads/{report.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{made.reference}-report.html"'
    assert response["Cache-Control"].startswith("no-store") or "no-store" in response["Cache-Control"]
    body = response.getvalue().decode()
    assert "olga@example.com" in body and "Bakkerij Jansen BV" in body
    report.refresh_from_db()
    assert report.times_downloaded == 1
    assert made.events.filter(action="downloaded", actor=f"user:{portal.olga.pk}").count() == 1


def test_it_refuses_a_download_of_someone_elses_request(portal: Personas) -> None:
    made = _download_for(portal.olga)
    report = made.downloads.get(format=Download.Format.REPORT_HTML)
    url = f"/portal/requests/{made.reference}/downloads/{report.pk}/"
    for user in (portal.bert, portal.otto):  # a colleague, an outsider
        assert client_for(user).get(url).status_code == 404
        assert client_for(user).get(f"/portal/requests/{made.reference}/").status_code == 404
    # Otto's own request does not open Olga's file either.
    own = _download_for(portal.otto)
    assert (
        client_for(portal.otto).get(f"/portal/requests/{own.reference}/downloads/{report.pk}/").status_code
        == 404
    )
    for staff in portal.staff().values():
        assert client_for(staff).get(url).status_code == 403
    assert client_for(None).get(url)["Location"].startswith("/account/login/")
    report.refresh_from_db()
    assert report.times_downloaded == 0


def test_it_no_longer_offers_an_expired_file(portal: Personas) -> None:
    made = _download_for(portal.olga)
    report = made.downloads.get(format=Download.Format.REPORT_HTML)
    made.downloads.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    client = client_for(portal.olga)
    assert "Your files" not in client.get(f"/portal/requests/{made.reference}/").content.decode()
    assert client.get(f"/portal/requests/{made.reference}/downloads/{report.pk}/").status_code == 404
    assert not (Path(settings.DATA_DIR) / report.path).exists()  # the expired file was deleted on the way


def test_it_asks_for_two_factor_first_where_the_policy_does(portal: Personas) -> None:
    response = client_for(portal.bert).post("/portal/data/download/")
    assert response.status_code == 403
    assert not Request.objects.filter(person=portal.bert.profile.person).exists()


def test_it_takes_only_a_post(portal: Personas) -> None:
    assert client_for(portal.olga).get("/portal/data/download/").status_code == 405
    assert not Request.objects.exists()
