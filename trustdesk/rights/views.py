"""Public pages of data-subject requests: the form, the confirmation link, the download link.

None of them says whether a person is on record: the form's answer is the same for every
address, and links work only for the holder of the address they were sent to.
"""

from __future__ import annotations

import datetime as dt
import io

from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from trustdesk.accounts import throttle
from trustdesk.registry.services import Actor, IntakeError
from trustdesk.rights import services
from trustdesk.rights.clock import NoPolicy
from trustdesk.rights.forms import PublicRequestForm
from trustdesk.rights.models import Channel, Download

PUBLIC = Actor(ref="public")

#: At most three requests a day for one e-mail address through the public form.
EMAIL_WINDOW = dt.timedelta(days=1)


@never_cache
@require_http_methods(["GET", "POST"])
def request_form(request: HttpRequest) -> HttpResponse:
    form = PublicRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            # Per client address, and per e-mail address so that nobody floods a mailbox with links.
            throttle.hit_request(request, "public_form")
            throttle.hit(
                "public_form", form.cleaned_data["email"], kind="email", limit=3, window=EMAIL_WINDOW
            )
        except throttle.Throttled as exc:
            form.add_error(None, exc.message())
            return render(request, "rights/request_form.html", {"form": form}, status=429)
        try:
            made = services.do_open_request(
                form.cleaned_data["kind"],
                channel=Channel.PUBLIC_FORM,
                actor=PUBLIC,
                email=form.cleaned_data["email"],
                details=form.cleaned_data["details"],
                specifics=form.specifics(),
                language=translation.get_language(),
                acknowledge=False,
            )
            services.do_ask_identity(made, actor=PUBLIC)
        except NoPolicy:
            return render(request, "rights/unavailable.html", status=503)
        except IntakeError as exc:
            for field, messages in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
        else:
            return render(request, "rights/request_sent.html", {"reference": made.reference})
    return render(request, "rights/request_form.html", {"form": form}, status=400 if form.errors else 200)


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button; only the POST confirms, so that a mail scanner's visit confirms nothing."""
    if request.method == "GET":
        return render(request, "rights/confirm.html", {"token": token})
    try:
        made, what = services.do_confirm_link(token)
    except services.LinkError as exc:
        return render(request, "rights/link_error.html", {"message": str(exc)}, status=410)
    return render(request, "rights/confirmed.html", {"reference": made.reference, "what": what})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def download(request: HttpRequest, token: str) -> HttpResponseBase:
    """GET shows the file on offer with a button; only the POST sends it, journaled as a download. A mail
    scanner or a link preview that opens the link receives no personal data, and the journal counts only
    the downloads a person asked for."""
    from trustdesk.rights.fulfil import do_download, download_by_link

    try:
        if request.method == "POST":
            item, content = do_download(token, actor=Actor(ref="link:download"))
            return file_response(item, content)
        offered = download_by_link(token)
    except LookupError as exc:
        return render(request, "rights/link_error.html", {"message": str(exc)}, status=410)
    return render(
        request,
        "rights/download.html",
        {
            "reference": offered.request.reference,
            "format": offered.get_format_display(),
            "size": offered.size,
            "expires_at": offered.expires_at,
        },
    )


#: Each download's file name (after the case number) and content type.
FILES = {
    "report_html": ("report.html", "text/html; charset=utf-8"),
    "data_json": ("data.json", "application/json"),
    "portable_json": ("portable.json", "application/json"),
    "portable_csv": ("portable-csv.zip", "application/zip"),
}


def file_response(item: Download, content: bytes) -> FileResponse:
    """The file of a download, as an attachment that no cache keeps."""
    filename, mimetype = FILES[item.format]
    response = FileResponse(
        io.BytesIO(content),
        as_attachment=True,
        filename=f"{item.request.reference}-{filename}",
        content_type=mimetype,
    )
    response["Cache-Control"] = "no-store"
    return response
