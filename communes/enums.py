from django.db import models
from django.utils.translation import gettext_lazy as _


class ProvinceKind(models.TextChoices):
    PROVINCE = "tinh", _("Province (tỉnh)")
    CITY = "thanh_pho_tw", _("Centrally-run city (thành phố trực thuộc trung ương)")


class DistrictKind(models.TextChoices):
    RURAL_DISTRICT = "huyen", _("Rural district (huyện)")
    TOWN = "thi_xa", _("Town (thị xã)")
    CITY = "thanh_pho", _("Provincial city (thành phố)")
    URBAN_DISTRICT = "quan", _("Urban district (quận)")


class CommuneKind(models.TextChoices):
    COMMUNE = "xa", _("Commune (xã)")
    WARD = "phuong", _("Ward (phường)")
    TOWNSHIP = "thi_tran", _("Township (thị trấn)")
    SPECIAL_ZONE = "dac_khu", _("Special zone (đặc khu)")


class VillageKind(models.TextChoices):
    THON = "thon", _("Village (thôn)")
    AP = "ap", _("Hamlet (ấp)")
    BAN = "ban", _("Village (bản)")
    TO_DAN_PHO = "to_dan_pho", _("Residential group (tổ dân phố)")


class Region(models.TextChoices):
    """The 7 socio-economic regions (vùng) used by the 2016–2025 criteria sets."""

    TDMNPB = "TDMNPB", _("Northern midlands and mountains")
    DBSH = "DBSH", _("Red River Delta")
    BTB = "BTB", _("North Central Coast")
    DHNTB = "DHNTB", _("South Central Coast")
    TN = "TN", _("Central Highlands")
    DNB = "DNB", _("Southeast")
    DBSCL = "DBSCL", _("Mekong River Delta")


class CommuneGroup(models.IntegerChoices):
    """Commune groups of QĐ 51/2025/QĐ-TTg (2026–2030)."""

    GROUP_1 = 1, _("Group 1 (urbanising)")
    GROUP_2 = 2, _("Group 2")
    GROUP_3 = 3, _("Group 3 (ethnic-minority and mountain areas, zones II–III)")


class UnitLevel(models.TextChoices):
    PROVINCE = "province", _("Province")
    DISTRICT = "district", _("District")
    COMMUNE = "commune", _("Commune")
    VILLAGE = "village", _("Village")


class Role(models.TextChoices):
    COMMUNE_OFFICIAL = "commune_official", _("Commune official")
    DISTRICT_OFFICE = "district_office", _("District coordination office")
    PROVINCE_OFFICE = "province_office", _("Provincial coordination office")
    ADMIN = "admin", _("Administrator")


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted to the district")
    RETURNED = "returned", _("Returned")
    VERIFIED = "verified", _("Verified by the district")
    APPRAISED = "appraised", _("Appraised by the province")
    RECOGNISED = "recognised", _("Recognised")
    APPROVED = "approved", _("Approved historical data")
    # Progress a commune (or district) announced, taken from a public source: shown as
    # reported, never as checked by a district, and outside the workflow (no inbox lists it).
    REPORTED = "reported", _("Reported by the unit, not verified")


# Assessments the public overview may show: checked by a district or brought in by an admin
# as approved history. Drafts and unverified submissions stay private.
PUBLIC_ASSESSMENT_STATUSES = (
    AssessmentStatus.VERIFIED,
    AssessmentStatus.APPRAISED,
    AssessmentStatus.RECOGNISED,
    AssessmentStatus.APPROVED,
    AssessmentStatus.REPORTED,
)


class ResultStatus(models.TextChoices):
    MET = "met", _("Met")
    BASICALLY_MET = "basically_met", _("Basically met")
    NOT_MET = "not_met", _("Not met")


class StatisticKind(models.TextChoices):
    INCOME_PER_CAPITA = "income_per_capita", _("Average income per person (million VND)")
    POOR_HOUSEHOLDS = "poor_households", _("Poor households")
    POOR_HOUSEHOLD_RATE = "poor_household_rate", _("Poor household rate (%)")
    NEAR_POOR_HOUSEHOLDS = "near_poor_households", _("Near-poor households")
    NEAR_POOR_HOUSEHOLD_RATE = "near_poor_household_rate", _("Near-poor household rate (%)")
    MULTIDIMENSIONAL_POVERTY_RATE = "poverty_rate", _("Multidimensional poverty rate (%)")
    POPULATION = "population", _("Population")


class EventAction(models.TextChoices):
    """Steps of the recognition workflow, as the dossier's timeline records them."""

    CREATED = "created", _("Started")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned")
    VERIFIED = "verified", _("Verified (thẩm tra)")
    APPRAISED = "appraised", _("Appraised (thẩm định)")
    RECOGNISED = "recognised", _("Recognised")


# Where each status stands: the commune may edit only these.
EDITABLE_STATUSES = (AssessmentStatus.DRAFT, AssessmentStatus.RETURNED)
