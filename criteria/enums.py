from django.db import models
from django.utils.translation import gettext_lazy as _


class SetLevel(models.TextChoices):
    COMMUNE = "commune", _("Commune")
    VILLAGE = "village", _("Village")
    DISTRICT = "district", _("District")


class Title(models.TextChoices):
    """The title a criteria set leads to, and that a recognition grants."""

    NTM = "ntm", _("New rural commune (xã đạt chuẩn NTM)")
    NTMNC = "ntmnc", _("Advanced new rural commune (NTM nâng cao)")
    MODEL = "model", _("Model new rural commune (NTM kiểu mẫu)")
    WARD = "ward", _("Meets the ward criteria (đạt tiêu chí phường)")
    DISTRICT_NTM = "district_ntm", _("New rural district (huyện NTM)")
    DISTRICT_NTMNC = "district_ntmnc", _("Advanced new rural district (huyện NTM nâng cao)")
    VILLAGE_NTM = "village_ntm", _("New rural village (thôn đạt chuẩn NTM)")
    VILLAGE_MODEL = "village_model", _("Model new rural village (thôn NTM kiểu mẫu)")


class Verification(models.TextChoices):
    """How sure the reference is of an item (see shared/reference/ntm-criteria.md)."""

    OFFICIAL = "VERIFIED-OFFICIAL", _("Verified in the legal text")
    SECONDARY = "VERIFIED-SECONDARY", _("Verified through a secondary source")
    LOCAL = "LOCAL", _("Provincial variant")
    RECALLED = "RECALLED-UNVERIFIED", _("Recalled, not verified")
    INFERRED = "INFERRED", _("Inferred")
    NOT_FOUND = "NOT-FOUND", _("Not found in the sources")
    PLACEHOLDER = "PLACEHOLDER", _("Placeholder: no source text yet")


VERIFIED = (Verification.OFFICIAL, Verification.SECONDARY, Verification.LOCAL)


class IndicatorKind(models.TextChoices):
    BOOLEAN = "boolean", _("Yes / no")
    NUMERIC = "numeric", _("Number")


class Comparison(models.TextChoices):
    AT_LEAST = "gte", _("at least (≥)")
    AT_MOST = "lte", _("at most (≤)")
    YES = "yes", _("must be yes (Đạt)")
    NO = "no", _("must be no (Không)")


class ThresholdScope(models.TextChoices):
    NATIONAL = "national", _("National")
    REGION = "region", _("Region")
    COMMUNE_GROUP = "commune_group", _("Commune group")
    PROVINCE = "province", _("Province")


class JobStatus(models.TextChoices):
    """Where a background import stands (criteria.imports.jobs)."""

    QUEUED = "queued", _("Waiting for a worker")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
