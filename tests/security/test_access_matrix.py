"""Access control, proved exhaustively: every URL pattern of the project, for every role.

The patterns come from the resolved URLconf (admin and included apps too), never from a
hand-made list, and each must have a rule in ``RULES`` (by pattern name; the admin's model
patterns by suffix, unnamed patterns by route): a new URL without an access rule fails
``test_every_pattern_has_an_access_rule``.

A rule builds real arguments for an object inside and outside the users' subtrees (a draft of
Lâm Hợp, one of a Long An commune, their evidence files and recognitions, units and sets) and
gives the expected answer to GET and to a POST of minimal data for each role. Every request
runs in a savepoint that is rolled back, and every request that is not an expected write must
execute no INSERT, UPDATE or DELETE (but on the session and django-axes's login log).

The scoped admin (Hà Tĩnh's administrator, staff with every model permission) is a role too:
on every admin model page that lists units or rows bound to them, the rule has a second object
outside Hà Tĩnh, which that admin must not reach (404, as if there were no such object). The
accounts above that admin (no membership, a `createsuperuser` account, staff administrators, a
bound superuser) are such objects on the user and membership pages, and
``test_province_admin_cannot_take_over_an_account_above_it`` replays the takeover of issue 12
step by step.

Every answer to a logged-in role must carry ``Cache-Control: private, no-store``, and the
public pages an anonymous visitor reads must not (``_caching_problem``).
"""

import datetime
import re
from dataclasses import dataclass, field
from functools import cached_property

import pytest
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import translation

from api.models import ApiToken
from api.services import issue_token
from communes.admin_forms import RefusedFormIs400Mixin
from communes.enums import AssessmentStatus, EventAction, Role
from communes.models import Commune, District, Membership, Province, Statistic, Village
from criteria import workflow
from criteria.enums import JobStatus
from criteria.models import (
    Assessment,
    AssessmentEvent,
    CriteriaSet,
    Criterion,
    Evidence,
    ImportJob,
    Indicator,
    Recognition,
    Target,
    Threshold,
)
from tests.factories import (
    legacy_unit,
    make_assessment,
    make_recognition,
    make_statistic,
    make_target,
    make_user,
    make_village,
)

pytestmark = pytest.mark.django_db
User = get_user_model()

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LAM_HOP, KY_LAC, FAR_COMMUNE = "18838", "18850", "28084"  # Hà Tĩnh, Hà Tĩnh, Long An
KY_ANH, HONG_LINH, FAR_DISTRICT = "447", "437", "805"
HA_TINH, FAR_PROVINCE = "42", "80"
HATINH_SET, NATIONAL_SET = "HATINH_NTM_XA_2017_2020", "NTM_XA_2021_2025"
NO_TOKEN = "0" * 32  # an import token that is not in the user's session

# The roles, in the order of every expectation tuple below.
ROLES = (
    "anonymous",
    "commune",  # lamhop, Xã Lâm Hợp
    "other_commune",  # an official of Xã Kỳ Lạc (same district)
    "district",  # kyanh, Huyện Kỳ Anh
    "other_district",  # an office of Thị xã Hồng Lĩnh (same province)
    "province",  # hatinh, Hà Tĩnh
    "admin",  # admin, national
    "province_admin",  # Hà Tĩnh's administrator: staff, every model permission, one province
)

# Expected answers: a status code, or a redirect checked by its target.
LOGIN = "302→login"
ADMIN_LOGIN = "302→admin login"
ADMIN_INDEX = "302→admin index"
DONE = "302 (write)"  # a successful POST that changed data and redirected
REDIRECT = "302"  # a redirect that writes nothing


def each(status):
    return (status,) * len(ROLES)


def logged_in(status):
    return (LOGIN,) + (status,) * (len(ROLES) - 1)


PUBLIC_200 = each(200)
PUBLIC_405 = each(405)
# Admins only: the national one and Hà Tĩnh's (imports and exports within its province).
ADMIN_ONLY = lambda status: (LOGIN, 403, 403, 403, 403, 403, status, status)  # noqa: E731
# Staff only: both admins get in; every other user is sent to the admin's login.
STAFF_ONLY = lambda status: (ADMIN_LOGIN,) * 6 + (status, status)  # noqa: E731


# -- The objects the rules point at ----------------------------------------------------------


class World:
    """Users and objects, built on first use (each test needs only a few of them)."""

    @cached_property
    def users(self):
        users = {name: User.objects.get(username=name) for name in ("lamhop", "kyanh", "hatinh")}
        users["admin"] = User.objects.get(username="admin")
        users["province_admin"] = make_user(
            "hatinh-admin",
            role=Role.ADMIN,
            unit=legacy_unit(Province, HA_TINH),
            password=None,
            is_staff=True,
        )
        users["province_admin"].user_permissions.set(Permission.objects.all())
        users["other_commune"] = make_user(
            "kylac",
            role=Role.COMMUNE_OFFICIAL,
            unit=legacy_unit(Commune, KY_LAC),
            password=None,  # no slow hashing: the tests log in with force_login
        )
        users["other_district"] = make_user(
            "honglinh",
            role=Role.DISTRICT_OFFICE,
            unit=legacy_unit(District, HONG_LINH),
            password=None,
        )
        return {
            "anonymous": None,
            "commune": users["lamhop"],
            "other_commune": users["other_commune"],
            "district": users["kyanh"],
            "other_district": users["other_district"],
            "province": users["hatinh"],
            "admin": users["admin"],
            "province_admin": users["province_admin"],
        }

    @cached_property
    def draft(self):
        """A draft of Lâm Hợp, started by its official."""
        return workflow.start_assessment(
            user=User.objects.get(username="lamhop"),
            unit=legacy_unit(Commune, LAM_HOP),
            criteria_set=CriteriaSet.objects.get(code=HATINH_SET),
            assessed_on=datetime.date(2020, 10, 15),
        )

    @cached_property
    def submitted(self):
        """A dossier of Lâm Hợp dated 2020, submitted and still waiting for Kỳ Anh's
        verification: since 01/07/2025 the district office reads it but no longer acts."""
        return make_assessment(
            unit=legacy_unit(Commune, LAM_HOP),
            criteria_set=CriteriaSet.objects.get(code=HATINH_SET),
            assessed_on=datetime.date(2020, 10, 16),
            status=AssessmentStatus.SUBMITTED,
        )

    @cached_property
    def far_draft(self):
        """A draft of a Long An commune: outside every subtree but the national one."""
        return make_assessment(
            unit=legacy_unit(Commune, FAR_COMMUNE),
            criteria_set=CriteriaSet.objects.get(code=NATIONAL_SET),
            status=AssessmentStatus.DRAFT,
        )

    def _evidence(self, assessment):
        return Evidence.objects.create(
            assessment=assessment,
            criterion=assessment.criteria_set.criteria.first(),
            title="Biên bản",
            file=SimpleUploadedFile("bien-ban.pdf", PDF),
            original_name="bien-ban.pdf",
            content_type="application/pdf",
            size=len(PDF),
        )

    @cached_property
    def evidence(self):
        return self._evidence(self.draft)

    @cached_property
    def far_evidence(self):
        return self._evidence(self.far_draft)

    @cached_property
    def recognition(self):
        return make_recognition(unit=legacy_unit(Commune, LAM_HOP))

    @cached_property
    def far_recognition(self):
        return make_recognition(unit=legacy_unit(Commune, FAR_COMMUNE))

    def admin_object(self, model, *, far=False):
        """An object of ``model`` for the admin's object pages, with a history row: inside Hà
        Tĩnh (``far``: in Long An) for the models the admin scopes; of Hà Tĩnh's set (``far``:
        of the national set) for the legal objects."""
        key = (model, far)
        if key not in self._admin_objects:
            self._admin_objects[key] = self._make_admin_object(model, far)
        return self._admin_objects[key]

    @cached_property
    def _admin_objects(self):
        return {}

    def _make_admin_object(self, model, far):
        commune = legacy_unit(Commune, FAR_COMMUNE if far else LAM_HOP)
        draft = self.far_draft if far else self.draft
        if model is Province:
            return legacy_unit(Province, FAR_PROVINCE if far else HA_TINH)
        if model is District:
            return legacy_unit(District, FAR_DISTRICT if far else KY_ANH)
        if model is Commune:
            return commune
        if model is Village:
            return make_village(commune=commune, name="Thôn Ma Trận")
        if model is Statistic:
            return make_statistic(commune=commune)
        if model is Membership:
            official = make_user(role=Role.COMMUNE_OFFICIAL, unit=commune, password=None)
            return official.membership
        if model is Assessment:
            return draft
        if model is Evidence:
            return self.far_evidence if far else self.evidence
        if model is Recognition:
            return self.far_recognition if far else self.recognition
        if model is Target:
            return Target.objects.filter(commune=commune).first() or make_target(unit=commune)
        if model is AssessmentEvent:
            return AssessmentEvent.objects.create(
                assessment=draft,
                action=EventAction.SUBMITTED,
                from_status=AssessmentStatus.DRAFT,
                to_status=AssessmentStatus.SUBMITTED,
                actor=self.users["commune"],
            )
        if model in LEGAL_OBJECTS:
            return self._legal_object(model, NATIONAL_SET if far else HATINH_SET)
        if model is User:
            if far:
                return make_user(role=Role.COMMUNE_OFFICIAL, unit=commune, password=None)
            return self.users["district"]
        if model is Group:
            return Group.objects.get_or_create(name="Reviewers")[0]
        if model is AccessAttempt:
            # A lock of Lâm Hợp's official (far: of a Long An official's account).
            username = (
                make_user(role=Role.COMMUNE_OFFICIAL, unit=commune, password=None).username
                if far
                else "lamhop"
            )
            return AccessAttempt.objects.create(
                username=username,
                ip_address="203.0.113.9" if far else "203.0.113.8",
                user_agent="matrix",
                failures_since_start=5,
            )
        if model is ApiToken:
            holder = self._make_admin_object(User, far)
            return issue_token(user=holder, name="Matrix", issued_by=self.users["admin"])[0]
        return model.objects.order_by("pk").first()

    @cached_property
    def accounts_above(self):
        """The accounts a province's administrator must never bind, open, change, reset or
        delete (issue 12: binding an unbound account was a takeover up to superuser)."""
        ha_tinh, long_an = (legacy_unit(Province, c) for c in (HA_TINH, FAR_PROVINCE))
        lam_hop = legacy_unit(Commune, LAM_HOP)
        return {
            "an account without membership": make_user("newcomer", password=None),
            # What `manage.py createsuperuser` makes: a superuser no membership binds.
            "a createsuperuser account": User.objects.create_superuser(
                "root", "root@example.vn", password=None
            ),
            "a staff administrator of Long An": make_user(
                "longan-admin", role=Role.ADMIN, unit=long_an, password=None, is_staff=True
            ),
            "a second staff administrator of Hà Tĩnh": make_user(
                "hatinh-admin-2", role=Role.ADMIN, unit=ha_tinh, password=None, is_staff=True
            ),
            "a superuser bound to Lâm Hợp": make_user(
                "root-lamhop",
                role=Role.COMMUNE_OFFICIAL,
                unit=lam_hop,
                password=None,
                is_staff=True,
                is_superuser=True,
            ),
        }

    def _legal_object(self, model, set_code):
        """The first ``model`` object of the set ``set_code``. Hà Tĩnh's 2016-2020 set has no
        indicators or thresholds of its own: one is copied into it from the national set."""
        obj = model.objects.filter(**{LEGAL_OBJECTS[model]: set_code}).order_by("pk").first()
        if obj is None:
            national = model.objects.filter(**{LEGAL_OBJECTS[model]: NATIONAL_SET})
            obj = national.order_by("pk").first()
            if model is Indicator:
                obj.criterion = Criterion.objects.filter(criteria_set__code=set_code)[0]
            else:
                obj.indicator = self._legal_object(Indicator, set_code)
            obj.pk = None
        if model is Threshold or obj.pk is None:
            obj.save()  # a history row for the threshold's history pages
        return obj


# The code of the criteria set each legal object belongs to, by lookup.
LEGAL_OBJECTS = {
    CriteriaSet: "code",
    Criterion: "criteria_set__code",
    Indicator: "criterion__criteria_set__code",
    Threshold: "indicator__criterion__criteria_set__code",
}


# -- The rule table --------------------------------------------------------------------------


@dataclass
class Rule:
    """``targets``: label → function(world) giving the URL's arguments. ``get`` and ``post``:
    label → the expected answer per role (ROLES order). ``data``: the POST's form data."""

    targets: dict
    get: dict
    post: dict
    data: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)


def no_args(get, post, **kw):
    return Rule({"-": lambda w: []}, {"-": get}, {"-": post}, **kw)


def pk_of(attr):
    return lambda w: [getattr(w, attr).pk]


def code(value):
    return lambda w: [value]


def _import_job(*, province: bool):
    """A finished background import by the national admin, of the whole country or of Hà
    Tĩnh (whose province admin may then see it)."""

    def make(w):
        job = ImportJob.objects.create(
            user=w.users["admin"],
            province=legacy_unit(Province, HA_TINH) if province else None,
            file_name="ca-nuoc.xlsx",
            record={"file_name": "ca-nuoc.xlsx", "options": {}},
            status=JobStatus.DONE,
            rows_total=3,
            counts={"new": 3, "update": 0, "skip": 0, "rejected": 0},
        )
        return [job.pk]

    return make


# Who may read a dossier of Lâm Hợp: the official, the district and province offices, admin.
DOSSIER_READERS = (LOGIN, 200, 404, 200, 404, 200, 200, 200)
FAR_READERS = (LOGIN, 404, 404, 404, 404, 404, 200, 404)
AFTER_LOGIN_405 = logged_in(405)
# A dashboard of Kỳ Anh: its office, the province office and admin; its communes: 403.
KY_ANH_BOARD = (LOGIN, 403, 403, 200, 404, 200, 200, 200)
HA_TINH_BOARD = (LOGIN, 403, 403, 403, 403, 200, 200, 200)
FAR_BOARD = FAR_READERS
# The API's dashboards: as the pages, but an anonymous caller is told to authenticate (401).
API_KY_ANH_BOARD = (401,) + KY_ANH_BOARD[1:]
API_HA_TINH_BOARD = (401,) + HA_TINH_BOARD[1:]
API_FAR_BOARD = (401,) + FAR_BOARD[1:]


def public_api(get=PUBLIC_200, **targets):
    """An API or open-data pattern every role reads alike (public data): GET as given, POST
    405 (nothing is writable)."""
    if not targets:
        return no_args(get, PUBLIC_405)
    return Rule(
        {label: code(value) for label, (value, _) in targets.items()},
        {label: expected for label, (_, expected) in targets.items()},
        {label: PUBLIC_405 for label in targets},
    )


RULES = {
    # Accounts and language.
    # A POST without credentials is a refused form: 400, like every form of the portal.
    "login": no_args(PUBLIC_200, each(400)),
    "logout": no_args(PUBLIC_405, each(REDIRECT)),
    "set_language": no_args(each(REDIRECT), each(REDIRECT), data={"language": "en"}),
    # Public criteria pages.
    "criteria:set_list": no_args(PUBLIC_200, PUBLIC_200),
    "criteria:set_detail": Rule(
        {"provincial set": code(HATINH_SET), "unknown set": code("NO_SUCH_SET")},
        {"provincial set": PUBLIC_200, "unknown set": each(404)},
        {"provincial set": PUBLIC_200, "unknown set": each(404)},
    ),
    # The workflow.
    "criteria:inbox": no_args(logged_in(200), AFTER_LOGIN_405),
    "criteria:assessment_start": Rule(
        {"Lâm Hợp": code(LAM_HOP), "Long An": code(FAR_COMMUNE)},
        {
            "Lâm Hợp": (LOGIN, 200, 404, 403, 404, 403, 403, 403),
            "Long An": (LOGIN, 404, 404, 404, 404, 404, 403, 404),
        },
        {
            "Lâm Hợp": (LOGIN, 400, 404, 403, 404, 403, 403, 403),
            "Long An": (LOGIN, 404, 404, 404, 404, 404, 403, 404),
        },
    ),
    "criteria:assessment": Rule(
        {"Lâm Hợp draft": pk_of("draft"), "Long An draft": pk_of("far_draft")},
        {"Lâm Hợp draft": DOSSIER_READERS, "Long An draft": FAR_READERS},
        {"Lâm Hợp draft": AFTER_LOGIN_405, "Long An draft": AFTER_LOGIN_405},
    ),
    "criteria:assessment_edit": Rule(
        {"Lâm Hợp draft": pk_of("draft"), "Long An draft": pk_of("far_draft")},
        {
            "Lâm Hợp draft": (LOGIN, 200, 404, 403, 404, 403, 403, 403),
            "Long An draft": (LOGIN, 404, 404, 404, 404, 404, 403, 404),
        },
        {
            "Lâm Hợp draft": (LOGIN, 400, 404, 403, 404, 403, 403, 403),
            "Long An draft": (LOGIN, 404, 404, 404, 404, 404, 403, 404),
        },
    ),
    "criteria:evidence_add": Rule(
        {"Lâm Hợp draft": pk_of("draft"), "Long An draft": pk_of("far_draft")},
        {"Lâm Hợp draft": AFTER_LOGIN_405, "Long An draft": AFTER_LOGIN_405},
        {
            "Lâm Hợp draft": (LOGIN, 400, 404, 403, 404, 403, 403, 403),
            "Long An draft": (LOGIN, 404, 404, 404, 404, 404, 403, 404),
        },
    ),
    "criteria:assessment_audit": Rule(
        {"Lâm Hợp draft": pk_of("draft"), "Long An draft": pk_of("far_draft")},
        {
            "Lâm Hợp draft": (LOGIN, 403, 404, 200, 404, 200, 200, 200),
            "Long An draft": FAR_READERS,
        },
        {"Lâm Hợp draft": AFTER_LOGIN_405, "Long An draft": AFTER_LOGIN_405},
    ),
    "criteria:assessment_action": Rule(
        {
            "verify Lâm Hợp draft": lambda w: [w.draft.pk, "verify"],
            "verify Long An draft": lambda w: [w.far_draft.pk, "verify"],
            "verify Lâm Hợp submitted": lambda w: [w.submitted.pk, "verify"],
            "unknown action": lambda w: [w.draft.pk, "publish"],
        },
        {
            # GET is the step's confirmation page, refused for the same reasons as its POST.
            "verify Lâm Hợp draft": (LOGIN, 403, 404, 403, 404, 403, 403, 403),
            "verify Long An draft": (LOGIN, 404, 404, 404, 404, 404, 403, 404),
            "verify Lâm Hợp submitted": (LOGIN, 403, 404, 403, 404, 403, 403, 403),
            "unknown action": (LOGIN, 404, 404, 404, 404, 404, 404, 404),
        },
        {
            # Kỳ Anh's office (membership ended with its district on 30/06/2025) reads Lâm
            # Hợp's dossiers but verifies none (403, visible read-only), not even one
            # submitted in 2020; nobody else verifies (403), outsiders do not see it (404).
            "verify Lâm Hợp draft": (LOGIN, 403, 404, 403, 404, 403, 403, 403),
            "verify Long An draft": (LOGIN, 404, 404, 404, 404, 404, 403, 404),
            "verify Lâm Hợp submitted": (LOGIN, 403, 404, 403, 404, 403, 403, 403),
            "unknown action": (LOGIN, 404, 404, 404, 404, 404, 404, 404),
        },
    ),
    "criteria:assessment_conditions": Rule(
        {"Lâm Hợp draft": pk_of("draft"), "Long An draft": pk_of("far_draft")},
        {"Lâm Hợp draft": AFTER_LOGIN_405, "Long An draft": AFTER_LOGIN_405},
        {
            # Only the province records the conditions, and not on a draft (409).
            "Lâm Hợp draft": (LOGIN, 403, 404, 403, 404, 409, 403, 403),
            "Long An draft": (LOGIN, 404, 404, 404, 404, 404, 403, 404),
        },
    ),
    "criteria:evidence_download": Rule(
        {"Lâm Hợp file": pk_of("evidence"), "Long An file": pk_of("far_evidence")},
        {"Lâm Hợp file": DOSSIER_READERS, "Long An file": FAR_READERS},
        {"Lâm Hợp file": AFTER_LOGIN_405, "Long An file": AFTER_LOGIN_405},
    ),
    "criteria:evidence_delete": Rule(
        {"Lâm Hợp file": pk_of("evidence"), "Long An file": pk_of("far_evidence")},
        {"Lâm Hợp file": AFTER_LOGIN_405, "Long An file": AFTER_LOGIN_405},
        {
            "Lâm Hợp file": (LOGIN, DONE, 404, 403, 404, 403, 403, 403),
            "Long An file": (LOGIN, 404, 404, 404, 404, 404, 403, 404),
        },
    ),
    "criteria:recognition_revoke": Rule(
        {"Lâm Hợp": pk_of("recognition"), "Long An": pk_of("far_recognition")},
        {
            # GET is the revocation's confirmation page: the province's office alone.
            "Lâm Hợp": (LOGIN, 403, 404, 403, 404, 200, 403, 403),
            "Long An": (LOGIN, 404, 404, 404, 404, 404, 403, 404),
        },
        {
            # An empty form is refused before anything else; outsiders never get that far.
            "Lâm Hợp": (LOGIN, 400, 404, 400, 404, 400, 400, 400),
            "Long An": (LOGIN, 404, 404, 404, 404, 404, 400, 404),
        },
    ),
    "criteria:commune_history": Rule(
        {"Lâm Hợp": code(LAM_HOP), "Long An": code(FAR_COMMUNE)},
        {"Lâm Hợp": DOSSIER_READERS, "Long An": FAR_READERS},
        {"Lâm Hợp": AFTER_LOGIN_405, "Long An": AFTER_LOGIN_405},
    ),
    # Imports and exports: national admins only (and a province admin within their province).
    # An empty POST is a refused form (400 with the fields' errors) for those who may import.
    # The administrators' home (where they land): a page to read, nothing to post.
    "imports:home": no_args(ADMIN_ONLY(200), AFTER_LOGIN_405),
    "imports:upload": no_args(ADMIN_ONLY(200), ADMIN_ONLY(400)),
    "imports:preview": Rule(
        {"someone else's token": code(NO_TOKEN)},
        {"someone else's token": ADMIN_ONLY(404)},
        {"someone else's token": ADMIN_ONLY(404)},
    ),
    "imports:confirm": Rule(
        {"someone else's token": code(NO_TOKEN)},
        {"someone else's token": AFTER_LOGIN_405},
        {"someone else's token": ADMIN_ONLY(404)},
    ),
    "imports:error_file": Rule(
        {"someone else's token": code(NO_TOKEN)},
        {"someone else's token": ADMIN_ONLY(404)},
        {"someone else's token": ADMIN_ONLY(404)},
    ),
    # A background import (b17b): its uploader and the admins of its area; anyone else 404.
    # Retrying a finished job only redirects to it.
    "imports:job": Rule(
        {"national job": _import_job(province=False), "Hà Tĩnh job": _import_job(province=True)},
        {
            "national job": (LOGIN, 404, 404, 404, 404, 404, 200, 404),
            "Hà Tĩnh job": (LOGIN, 404, 404, 404, 404, 404, 200, 200),
        },
        {"national job": AFTER_LOGIN_405, "Hà Tĩnh job": AFTER_LOGIN_405},
    ),
    "imports:job_retry": Rule(
        {"national job": _import_job(province=False), "Hà Tĩnh job": _import_job(province=True)},
        {"national job": AFTER_LOGIN_405, "Hà Tĩnh job": AFTER_LOGIN_405},
        {
            "national job": (LOGIN, 404, 404, 404, 404, 404, REDIRECT, 404),
            "Hà Tĩnh job": (LOGIN, 404, 404, 404, 404, 404, REDIRECT, REDIRECT),
        },
    ),
    "imports:set_upload": no_args(ADMIN_ONLY(200), ADMIN_ONLY(400)),
    "imports:set_preview": Rule(
        {"someone else's token": code(NO_TOKEN)},
        {"someone else's token": ADMIN_ONLY(404)},
        {"someone else's token": ADMIN_ONLY(404)},
    ),
    "imports:set_confirm": Rule(
        {"someone else's token": code(NO_TOKEN)},
        {"someone else's token": AFTER_LOGIN_405},
        {"someone else's token": ADMIN_ONLY(404)},
    ),
    "imports:group_upload": no_args(ADMIN_ONLY(200), ADMIN_ONLY(400)),
    "imports:group_preview": Rule(
        {"someone else's token": code(NO_TOKEN)},
        {"someone else's token": ADMIN_ONLY(404)},
        {"someone else's token": ADMIN_ONLY(404)},
    ),
    "imports:group_confirm": Rule(
        {"someone else's token": code(NO_TOKEN)},
        {"someone else's token": AFTER_LOGIN_405},
        {"someone else's token": ADMIN_ONLY(404)},
    ),
    "imports:export": Rule(
        {"provincial set": code(HATINH_SET), "unknown set": code("NO_SUCH_SET")},
        {"provincial set": ADMIN_ONLY(200), "unknown set": ADMIN_ONLY(404)},
        {"provincial set": ADMIN_ONLY(200), "unknown set": ADMIN_ONLY(404)},
    ),
    "imports:set_workbook": Rule(
        {"provincial set": code(HATINH_SET), "unknown set": code("NO_SUCH_SET")},
        {"provincial set": ADMIN_ONLY(200), "unknown set": ADMIN_ONLY(404)},
        {"provincial set": ADMIN_ONLY(200), "unknown set": ADMIN_ONLY(404)},
    ),
    "imports:template": Rule(
        {"units": code("units"), "matrix without a set": code("matrix")},
        {"units": ADMIN_ONLY(200), "matrix without a set": ADMIN_ONLY(404)},
        {"units": ADMIN_ONLY(200), "matrix without a set": ADMIN_ONLY(404)},
    ),
    # The public overview.
    "reports:home": no_args(PUBLIC_200, PUBLIC_405),
    "reports:province": Rule(
        {"Hà Tĩnh": code(HA_TINH), "unknown": code("99")},
        {"Hà Tĩnh": PUBLIC_200, "unknown": each(404)},
        {"Hà Tĩnh": PUBLIC_405, "unknown": PUBLIC_405},
    ),
    "reports:district": Rule(
        {"Kỳ Anh": code(KY_ANH), "unknown": code("999")},
        {"Kỳ Anh": PUBLIC_200, "unknown": each(404)},
        {"Kỳ Anh": PUBLIC_405, "unknown": PUBLIC_405},
    ),
    "reports:commune": Rule(
        {"Lâm Hợp": code(LAM_HOP), "unknown": code("99999")},
        {"Lâm Hợp": PUBLIC_200, "unknown": each(404)},
        {"Lâm Hợp": PUBLIC_405, "unknown": PUBLIC_405},
    ),
    # The dashboards: each user's own area.
    "reports:national_dashboard": no_args(
        (LOGIN, 404, 404, 404, 404, 200, 200, 200), AFTER_LOGIN_405
    ),
    "reports:province_dashboard": Rule(
        {"Hà Tĩnh": code(HA_TINH), "Long An": code(FAR_PROVINCE)},
        {"Hà Tĩnh": HA_TINH_BOARD, "Long An": FAR_BOARD},
        {"Hà Tĩnh": AFTER_LOGIN_405, "Long An": AFTER_LOGIN_405},
    ),
    "reports:province_dashboard_xlsx": Rule(
        {"Hà Tĩnh": code(HA_TINH), "Long An": code(FAR_PROVINCE)},
        {"Hà Tĩnh": HA_TINH_BOARD, "Long An": FAR_BOARD},
        {"Hà Tĩnh": AFTER_LOGIN_405, "Long An": AFTER_LOGIN_405},
    ),
    "reports:district_dashboard": Rule(
        {"Kỳ Anh": code(KY_ANH), "Long An district": code(FAR_DISTRICT)},
        {"Kỳ Anh": KY_ANH_BOARD, "Long An district": FAR_BOARD},
        {"Kỳ Anh": AFTER_LOGIN_405, "Long An district": AFTER_LOGIN_405},
    ),
    "reports:district_dashboard_xlsx": Rule(
        {"Kỳ Anh": code(KY_ANH), "Long An district": code(FAR_DISTRICT)},
        {"Kỳ Anh": KY_ANH_BOARD, "Long An district": FAR_BOARD},
        {"Kỳ Anh": AFTER_LOGIN_405, "Long An district": AFTER_LOGIN_405},
    ),
    # The open-data API: public data for everyone (each role's answer is checked in
    # tests/api), the dashboards' figures for the offices covering the area.
    "api:schema": public_api(),
    "api:docs": public_api(),
    "api:province_list": public_api(),
    "api:province_detail": public_api(
        **{"Hà Tĩnh": (HA_TINH, PUBLIC_200), "unknown": ("99", each(404))}
    ),
    "api:district_list": public_api(),
    "api:district_detail": public_api(
        **{"Kỳ Anh": (KY_ANH, PUBLIC_200), "unknown": ("999", each(404))}
    ),
    "api:commune_list": public_api(),
    "api:commune_detail": public_api(
        **{"Lâm Hợp": (LAM_HOP, PUBLIC_200), "unknown": ("99999", each(404))}
    ),
    "api:set_list": public_api(),
    "api:set_detail": public_api(
        **{"provincial set": (HATINH_SET, PUBLIC_200), "unknown set": ("NO_SUCH_SET", each(404))}
    ),
    "api:assessment_list": public_api(),
    "api:recognition_list": public_api(),
    "api:target_list": public_api(),
    "api:province_dashboard": Rule(
        {"Hà Tĩnh": code(HA_TINH), "Long An": code(FAR_PROVINCE)},
        {"Hà Tĩnh": API_HA_TINH_BOARD, "Long An": API_FAR_BOARD},
        {"Hà Tĩnh": PUBLIC_405, "Long An": PUBLIC_405},
    ),
    "api:district_dashboard": Rule(
        {"Kỳ Anh": code(KY_ANH), "Long An district": code(FAR_DISTRICT)},
        {"Kỳ Anh": API_KY_ANH_BOARD, "Long An district": API_FAR_BOARD},
        {"Kỳ Anh": PUBLIC_405, "Long An district": PUBLIC_405},
    ),
    "open_data:index": public_api(),
    "open_data:dictionary": public_api(),
    "open_data:csv": public_api(
        **{"assessments": ("assessments", PUBLIC_200), "unknown file": ("secrets", each(404))}
    ),
    "open_data:jsonl": public_api(),
    # The admin site's own pages; its model pages follow by suffix (admin_model_rule).
    "admin:index": no_args(STAFF_ONLY(200), STAFF_ONLY(200)),
    # Staff who are logged in already are sent on to the index.
    "admin:login": no_args((200,) * 6 + (REDIRECT, REDIRECT), each(200)),
    # Logging out of the admin when not in it: back to its index (which asks to log in).
    "admin:logout": no_args(
        (ADMIN_INDEX,) * 6 + (405, 405), (ADMIN_INDEX,) * 6 + (REDIRECT, REDIRECT)
    ),
    "admin:password_change": no_args(STAFF_ONLY(200), STAFF_ONLY(200)),
    "admin:password_change_done": no_args(STAFF_ONLY(200), STAFF_ONLY(405)),
    # Without its parameters the autocomplete refuses even the national admin.
    "admin:autocomplete": no_args(STAFF_ONLY(403), STAFF_ONLY(405)),
    "admin:jsi18n": no_args(STAFF_ONLY(200), STAFF_ONLY(405)),
    "admin:app_list": Rule(
        {"criteria": code("criteria")},
        {"criteria": STAFF_ONLY(200)},
        {"criteria": STAFF_ONLY(200)},
    ),
    # No admin model has a public page of its own ("view on site"): 404.
    "admin:view_on_site": Rule(
        {
            "Lâm Hợp": lambda w: [
                ContentType.objects.get_for_model(Commune).pk,
                legacy_unit(Commune, LAM_HOP).pk,
            ]
        },
        {"Lâm Hợp": STAFF_ONLY(404)},
        {"Lâm Hợp": STAFF_ONLY(404)},
    ),
    "<unnamed> admin/(?P<url>.*)$": Rule(
        {"no such page": code("no/such/page/")},
        {"no such page": STAFF_ONLY(404)},
        {"no such page": STAFF_ONLY(404)},
    ),
}


# The admin's model pages, one rule per suffix: only staff get in (non-staff and anonymous
# users are sent to the admin's login); the national admin gets every page. POSTs carry no
# data, which no admin form accepts, and a delete page without its confirmation field only
# asks for confirmation.
ADMIN_MODEL_SUFFIXES = {
    "changelist": (lambda w, obj: [], STAFF_ONLY(200), STAFF_ONLY(200)),
    "add": (lambda w, obj: [], STAFF_ONLY(200), STAFF_ONLY(200)),
    "change": (lambda w, obj: [obj.pk], STAFF_ONLY(200), STAFF_ONLY(200)),
    "delete": (lambda w, obj: [obj.pk], STAFF_ONLY(200), STAFF_ONLY(200)),
    "history": (lambda w, obj: [obj.pk], STAFF_ONLY(200), STAFF_ONLY(200)),
    "simple_history": (
        lambda w, obj: [obj.pk, obj.history.order_by("history_id").first().history_id],
        STAFF_ONLY(200),
        STAFF_ONLY(200),
    ),
    "password_change": (lambda w, obj: [obj.pk], STAFF_ONLY(200), STAFF_ONLY(200)),
    "export": (lambda w, obj: [], STAFF_ONLY(200), STAFF_ONLY(200)),
    "import": (lambda w, obj: [], STAFF_ONLY(200), STAFF_ONLY(200)),
    "process_import": (lambda w, obj: [], STAFF_ONLY(405), STAFF_ONLY(200)),
    # /admin/<app>/<model>/<pk>/ redirects to the change page.
    "object": (lambda w, obj: [obj.pk], STAFF_ONLY(REDIRECT), STAFF_ONLY(REDIRECT)),
}
# Pages the admin refuses even the national admin: the event trail is append-only.
ADMIN_EXCEPTIONS = {
    ("criteria_assessmentevent", "add"): (STAFF_ONLY(403), STAFF_ONLY(403)),
    ("criteria_assessmentevent", "delete"): (STAFF_ONLY(403), STAFF_ONLY(403)),
    ("criteria_assessmentevent", "change"): (STAFF_ONLY(200), STAFF_ONLY(403)),
    # A login lock is read and lifted (deleted), never written (communes.lockouts).
    ("axes_accessattempt", "add"): (STAFF_ONLY(403), STAFF_ONLY(403)),
    ("axes_accessattempt", "change"): (STAFF_ONLY(200), STAFF_ONLY(403)),
    # An API token is issued, read and revoked, never edited or deleted (api.admin).
    ("api_apitoken", "change"): (STAFF_ONLY(200), STAFF_ONLY(403)),
    ("api_apitoken", "delete"): (STAFF_ONLY(403), STAFF_ONLY(403)),
}

ADMIN_MODELS = {
    f"{model._meta.app_label}_{model._meta.model_name}": model for model in admin.site._registry
}
UNNAMED_OBJECT = re.compile(r"^admin/(\w+)/(\w+)/<path:object_id>/$")


# Models whose admin lists only the user's subtree (communes.selectors.scoped), and what Hà
# Tĩnh's administrator gets on the page of such an object in Long An: the admin's "does not
# exist" answer, 404 as if there were no such object, for GET and POST alike.
SCOPED_ADMIN_MODELS = {
    Province,
    District,
    Commune,
    Village,
    Statistic,
    Membership,
    Assessment,
    Recognition,
    Target,
    Evidence,
    AssessmentEvent,
    User,  # communes.user_admin
    AccessAttempt,  # communes.lockouts: the locks of the accounts the admin manages
    ApiToken,  # api.admin: the tokens of the accounts the admin manages
}
FAR_OBJECT = {
    "change": (404, 404),
    "delete": (404, 404),
    "history": (404, 404),
    "simple_history": (404, 404),
    "password_change": (404, 404),
    "object": (REDIRECT, REDIRECT),  # to the change page, which answers as above
}
# The national set's criteria, indicators and thresholds, for Hà Tĩnh's administrator: read,
# never changed (criteria.admin.LegalObjectAdminMixin).
NATIONAL_LEGAL_OBJECT = {
    "change": (200, 403),
    "delete": (403, 403),
    "history": (200, 200),
    "simple_history": (200, 403),
    "object": (REDIRECT, REDIRECT),
}


# Groups carry permissions: a province's administrator only reads them (communes.user_admin).
PROVINCE_ADMIN_EXCEPTIONS = {
    # It creates an account with its membership (the user add page), never binds one.
    ("communes_membership", "add"): (403, 403),
    ("auth_group", "add"): (403, 403),
    ("auth_group", "change"): (200, 403),
    ("auth_group", "delete"): (403, 403),
}


# Every admin page answers a refused add, change, revert or password form with 400
# (communes.admin_forms.RefusedFormIs400Mixin).
REFUSED_FORM_SUFFIXES = {"add", "change", "simple_history", "password_change"}


def _with_province_admin(expected, answer):
    return expected[:-1] + (answer,)


def admin_model_rule(key):
    """The rule of an admin model page, by its name's suffix (or its route, when unnamed)."""
    if match := UNNAMED_OBJECT.match(key.removeprefix("<unnamed> ")):
        prefix, suffix = f"{match[1]}_{match[2]}", "object"
    else:
        name = key.removeprefix("admin:")
        prefix, suffix = next(
            ((p, name[len(p) + 1 :]) for p in ADMIN_MODELS if name.startswith(p + "_")),
            (None, None),
        )
    if prefix not in ADMIN_MODELS or suffix not in ADMIN_MODEL_SUFFIXES:
        return None
    model = ADMIN_MODELS[prefix]
    args, get, post = ADMIN_MODEL_SUFFIXES[suffix]
    get, post = ADMIN_EXCEPTIONS.get((prefix, suffix), (get, post))
    if (prefix, suffix) in PROVINCE_ADMIN_EXCEPTIONS:
        own_get, own_post = PROVINCE_ADMIN_EXCEPTIONS[prefix, suffix]
        get, post = _with_province_admin(get, own_get), _with_province_admin(post, own_post)
    if suffix in REFUSED_FORM_SUFFIXES and isinstance(
        admin.site._registry[model], RefusedFormIs400Mixin
    ):
        post = tuple(400 if answer == 200 else answer for answer in post)
    if model in SCOPED_ADMIN_MODELS:
        near, far, far_answers = "in Hà Tĩnh", "in Long An", FAR_OBJECT
    elif model in LEGAL_OBJECTS:
        near, far, far_answers = "of Hà Tĩnh's set", "of the national set", NATIONAL_LEGAL_OBJECT
    else:
        near, far, far_answers = "", None, {}
    target = f"{model.__name__} object {near}".strip()
    rule = Rule({target: lambda w: args(w, w.admin_object(model))}, {target: get}, {target: post})
    if far and suffix in far_answers:
        far_get, far_post = far_answers[suffix]
        # A page refused to everyone refuses before it looks the object up.
        far_get, far_post = (
            403 if e[-1] == 403 else f for e, f in ((get, far_get), (post, far_post))
        )
        target = f"{model.__name__} object {far}"
        rule.targets[target] = lambda w: args(w, w.admin_object(model, far=True))
        rule.get[target] = _with_province_admin(get, far_get)
        rule.post[target] = _with_province_admin(post, far_post)
        # Accounts above the province's administrator, and their memberships, are out of
        # its reach as any object of another province is.
        if model in (User, Membership):
            for label in ACCOUNTS_ABOVE:
                account = lambda w, label=label: w.accounts_above[label]  # noqa: E731
                if model is Membership:
                    if label in UNBOUND:
                        continue
                    obj = lambda w, a=account: a(w).membership  # noqa: E731
                else:
                    obj = account
                target = f"{model.__name__} of {label}"
                rule.targets[target] = lambda w, obj=obj: args(w, obj(w))
                rule.get[target] = _with_province_admin(get, far_get)
                rule.post[target] = _with_province_admin(post, far_post)
    return rule


ACCOUNTS_ABOVE = (
    "an account without membership",
    "a createsuperuser account",
    "a staff administrator of Long An",
    "a second staff administrator of Hà Tĩnh",
    "a superuser bound to Lâm Hợp",
)
UNBOUND = ("an account without membership", "a createsuperuser account")


def rule_for(key):
    return RULES.get(key) or (admin_model_rule(key) if key.startswith(("admin:", "<")) else None)


# -- The URLconf -----------------------------------------------------------------------------


def _walk(resolver, prefix="", namespace=""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from _walk(pattern, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            yield namespace + pattern.name if pattern.name else f"<unnamed> {route}"


PATTERN_KEYS = list(dict.fromkeys(_walk(get_resolver())))


def url_for(key, args):
    if key.startswith("<unnamed> "):
        route = key.removeprefix("<unnamed> ")
        if route == "admin/(?P<url>.*)$":
            return "/admin/" + args[0]
        match = UNNAMED_OBJECT.match(route)
        return f"/admin/{match[1]}/{match[2]}/{args[0]}/"
    return reverse(key, args=args)


def test_every_pattern_has_an_access_rule():
    missing = [key for key in PATTERN_KEYS if rule_for(key) is None]
    assert not missing, "URL patterns without an access rule in RULES:\n  " + "\n  ".join(missing)


def test_the_walk_reaches_admin_and_every_app():
    assert len(PATTERN_KEYS) > 100
    for key in ("admin:criteria_assessment_change", "imports:export", "reports:commune"):
        assert key in PATTERN_KEYS


# -- The matrix ------------------------------------------------------------------------------

# Writes any request may make: the session and django-axes's log of logins and logouts.
UNWATCHED_TABLES = ("django_session", "axes_accesslog")


class WriteLog:
    """Every statement that writes to a table other than the sessions, as it is executed."""

    def __init__(self):
        self.writes = []

    def __call__(self, execute, sql, params, many, context):
        verb = sql.lstrip().split(None, 1)[0].upper()
        if verb in ("INSERT", "UPDATE", "DELETE", "REPLACE") and not any(
            table in sql for table in UNWATCHED_TABLES
        ):
            self.writes.append(sql[:120])
        return execute(sql, params, many, context)


def _check(response, expected):
    status = response.status_code
    if isinstance(expected, int):
        return status == expected
    if status != 302:
        return False
    target = response.url
    if expected == LOGIN:
        return target.startswith(reverse("login") + "?next=")
    if expected == ADMIN_LOGIN:
        return target.startswith(reverse("admin:login") + "?next=")
    if expected == ADMIN_INDEX:
        return target == reverse("admin:index")
    return expected in (DONE, REDIRECT)


def _finish(response):
    """Read a streamed response (a FileResponse's file) to its end, which closes it.

    Not ``response.close()``: called outside the test client, that sends request_finished to
    close_old_connections, which closes the connection of the test's transaction (a no-op for
    SQLite's in-memory database, so only PostgreSQL showed it: "the connection is closed" in
    the next request). The test client's own closing of a consumed stream does not.
    """
    if response.streaming:
        b"".join(response.streaming_content)


def _describe(response):
    if response.status_code == 302:
        return f"302→{response.url}"
    return str(response.status_code)


# Pages that Django itself marks never_cache for everyone (login forms).
NEVER_CACHED = ("login", "admin:login")


def _caching_problem(key, role, method, response):
    """Whatever answers a logged-in user depends on that user (its subtree, its dossiers, its
    files, its exports): no shared or disk cache may keep it. The public pages an anonymous
    visitor reads stay cacheable (ntm_portal.middleware.PrivatePagesMiddleware)."""
    cache_control = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    personal = {"private", "no-store"}
    if role != "anonymous" and not personal <= cache_control:
        return f"a logged-in user's answer has Cache-Control {cache_control}"
    public = role == "anonymous" and method == "GET" and response.status_code == 200
    if public and key not in NEVER_CACHED and cache_control & personal:
        return f"a public page has Cache-Control {cache_control}"
    return None


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with translation.override("en"):
        yield World()


@pytest.mark.parametrize("key", [k for k in PATTERN_KEYS if rule_for(k)])
def test_access(key, world):
    rule = rule_for(key)
    failures = []
    clients = {}
    for role, user in world.users.items():
        clients[role] = Client()
        if user is not None:
            clients[role].force_login(user)
    for label, make_args in rule.targets.items():
        url = url_for(key, make_args(world))
        for method in ("GET", "POST"):
            for role, expected in zip(ROLES, getattr(rule, method.lower())[label], strict=True):
                log = WriteLog()
                # Each request in a savepoint rolled back, so that no case sees another's
                # writes (the official's evidence deletion, a logout).
                with transaction.atomic(), connection.execute_wrapper(log):
                    if method == "GET":
                        response = clients[role].get(url, rule.query)
                    else:
                        response = clients[role].post(url, rule.data)
                    transaction.set_rollback(True)
                _finish(response)
                case = f"{method} {url} ({label}) as {role}"
                if not _check(response, expected):
                    failures.append(f"{case}: expected {expected}, got {_describe(response)}")
                elif expected != DONE and log.writes:
                    failures.append(f"{case}: not a write, but it wrote {log.writes}")
                if problem := _caching_problem(key, role, method, response):
                    failures.append(f"{case}: {problem}")
    assert not failures, f"{key}:\n  " + "\n  ".join(failures)


# -- The takeover of issue 12, step by step -------------------------------------------------


def _attack(client, method, url, data=None):
    """One request of the attack, in a rolled-back savepoint: its status and what it wrote."""
    log = WriteLog()
    with transaction.atomic(), connection.execute_wrapper(log):
        response = client.get(url) if method == "GET" else client.post(url, data or {})
        transaction.set_rollback(True)
    return response.status_code, log.writes


def _bulk_delete(obj):
    return {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}


@pytest.mark.parametrize("label", ACCOUNTS_ABOVE)
def test_province_admin_cannot_take_over_an_account_above_it(label, world):
    """Bind the account to a commune of Hà Tĩnh, open it, change it, set its password, delete
    it: every step is refused and writes nothing (the bind was a 302, the rest 200)."""
    account = world.accounts_above[label]
    client = Client()
    client.force_login(world.users["province_admin"])
    lam_hop = legacy_unit(Commune, LAM_HOP)
    change = reverse("admin:auth_user_change", args=[account.pk])
    password = reverse("admin:auth_user_password_change", args=[account.pk])
    steps = [
        (
            "POST",
            reverse("admin:communes_membership_add"),
            {"user": account.pk, "role": Role.COMMUNE_OFFICIAL, "commune": lam_hop.pk},
            403,
        ),
        ("GET", change, None, 404),
        (
            "POST",
            change,
            {
                "username": account.username,
                "is_active": "on",
                "date_joined_0": "2025-01-01",
                "date_joined_1": "00:00:00",
            },
            404,
        ),
        ("GET", password, None, 404),
        (
            "POST",
            password,
            {"password1": "Chiem-quyen-2025!", "password2": "Chiem-quyen-2025!"},
            404,
        ),
        ("POST", reverse("admin:auth_user_delete", args=[account.pk]), {"post": "yes"}, 404),
        # The bulk action finds nothing it may act on ("no items selected"): a redirect.
        ("POST", reverse("admin:auth_user_changelist"), _bulk_delete(account), 302),
    ]
    if hasattr(account, "membership"):
        membership = account.membership
        for suffix, data in (("change", {"role": Role.ADMIN}), ("delete", {"post": "yes"})):
            url = reverse(f"admin:communes_membership_{suffix}", args=[membership.pk])
            steps.append(("POST", url, data, 404))
        url = reverse("admin:communes_membership_changelist")
        steps.append(("POST", url, _bulk_delete(membership), 302))
    failures = []
    for method, url, data, expected in steps:
        status, writes = _attack(client, method, url, data)
        if status != expected or writes:
            failures.append(f"{method} {url}: expected {expected}, got {status}, wrote {writes}")
    assert not failures, "\n".join(failures)
    account.refresh_from_db()
    assert not account.check_password("Chiem-quyen-2025!")


def test_autocomplete_offers_a_province_admin_no_account_above_it(world):
    client = Client()
    client.force_login(world.users["province_admin"])
    accounts = world.accounts_above
    url = reverse("admin:autocomplete")
    params = {"app_label": "communes", "model_name": "membership", "field_name": "user"}
    offered = {row["id"] for row in client.get(url, params).json()["results"]}
    assert str(world.users["commune"].pk) in offered  # lamhop, bound in Lâm Hợp
    assert not offered & {str(a.pk) for a in accounts.values()}
    assert str(world.users["admin"].pk) not in offered
    national = Client()
    national.force_login(world.users["admin"])
    offered = {row["id"] for row in national.get(url, params).json()["results"]}
    assert {str(a.pk) for a in accounts.values()} <= offered
