"""The public "Dữ liệu mở" (open data) pages and the bulk files they link to."""

from django.conf import settings
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from . import bulk
from .throttling import throttle_bulk_download


@require_safe
def index(request):
    return render(
        request,
        "api/open_data.html",
        {
            "files": list(bulk.FILES),
            "licence": settings.OPEN_DATA_LICENCE,
            "licence_url": settings.OPEN_DATA_LICENCE_URL,
        },
    )


@require_safe
def dictionary(request):
    return render(
        request,
        "api/data_dictionary.html",
        {
            "tables": [
                ("assessments", bulk.ASSESSMENT_COLUMNS),
                ("results", bulk.RESULT_COLUMNS),
                ("recognitions", bulk.RECOGNITION_COLUMNS),
            ],
            "licence": settings.OPEN_DATA_LICENCE,
            "licence_url": settings.OPEN_DATA_LICENCE_URL,
        },
    )


def _attachment(response, stem, extension):
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="ntm-{stem}-{stamp}.{extension}"'
    response["X-Content-Licence"] = settings.OPEN_DATA_LICENCE
    return response


@require_safe
@throttle_bulk_download
def csv_file(request, name):
    if name not in bulk.FILES:
        raise Http404
    columns, rows = bulk.FILES[name]
    response = StreamingHttpResponse(
        bulk.csv_stream(columns, rows()), content_type="text/csv; charset=utf-8"
    )
    return _attachment(response, name, "csv")


@require_safe
@throttle_bulk_download
def jsonl_file(request):
    response = StreamingHttpResponse(
        bulk.jsonl_stream(), content_type="application/jsonl; charset=utf-8"
    )
    return _attachment(response, "open-data", "jsonl")
