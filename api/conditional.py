"""Conditional requests: an answer's ETag and Last-Modified come from the report version
(reports.cache): the sum of the random tokens of the ReportChange rows of the province (and of
every province, the null rows), which every write to what the API reads changes, in the same
transaction. A client sending the ETag back (If-None-Match) gets a 304 after one query, without
the body being built.

Only answers made of public data get these headers: a signed-in user's answer may hold drafts,
whose results an entry form can delete without recording a change (reports.cache, "Not
recorded"), so it is always built afresh.
"""

import hashlib

from django.db.models import Max, Sum
from django.utils.http import http_date, parse_http_date_safe
from django.utils.translation import get_language

from reports.cache import report_changes
from reports.models import ReportChange

EVERY_PROVINCE = object()


def data_version(province_id=EVERY_PROVINCE) -> tuple[int, int | None]:
    """(version, last change as a Unix time) of ``province_id``'s reports, or of the whole
    country's. The version is reports.cache.report_version's (the same rows,
    ``report_changes``, the same sum: a province formed on 01/07/2025 also counts the changes
    of its predecessors' provinces, whose figures its trend shows); the time is the newest of
    those rows. One query."""
    if province_id is EVERY_PROVINCE:
        rows = ReportChange.objects.all()
    else:
        rows = report_changes(province_id)
    found = rows.aggregate(version=Sum("token"), changed=Max("created_at"))
    changed = found["changed"]
    return int(found["version"] or 0), (int(changed.timestamp()) if changed else None)


class Validators:
    """The ETag and Last-Modified of one answer."""

    def __init__(self, request, province_id=EVERY_PROVINCE):
        version, self.last_modified = data_version(province_id)
        raw = "|".join((request.get_full_path(), get_language() or "", str(version)))
        self.etag = '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'

    def not_modified(self, request) -> bool:
        """Whether the client's copy is current (RFC 9110: If-None-Match wins over
        If-Modified-Since). A weak tag matches too: gzip (CompressPagesMiddleware) makes the
        tag it sends weak."""
        if_none_match = request.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
            return self.etag in tags or "*" in tags
        since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
        return since is not None and self.last_modified is not None and self.last_modified <= since

    def apply(self, response):
        response["ETag"] = self.etag
        if self.last_modified is not None:
            response["Last-Modified"] = http_date(self.last_modified)
        # Varies with the caller (an answer is public only for anonymous callers).
        response["Cache-Control"] = "no-cache"
        return response
