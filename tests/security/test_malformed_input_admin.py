"""Malformed input, part 3: the admin's add and change forms of every model family (units,
criteria sets with their criteria, indicators and thresholds, assessments with their inlines,
recognitions, targets). Each case posts the form as the page sends it, with one field spoiled,
as the national administrator: a 400, the field's error and no row written."""

import datetime

import pytest
from django.contrib.admin.widgets import AutocompleteSelect
from django.forms import CheckboxInput
from django.urls import reverse
from django.utils.html import escape

from communes.models import Commune, District, Province, Village
from criteria.models import (
    Assessment,
    CriteriaSet,
    Criterion,
    CriterionResult,
    Indicator,
    IndicatorValue,
    Recognition,
    Target,
    Threshold,
)
from tests.factories import (
    legacy_unit,
    make_assessment,
    make_recognition,
    make_target,
    make_village,
)
from tests.security.test_malformed_input import (
    BAD_DATES,
    BAD_NUMBERS,
    INVISIBLE,
    LAM_HOP,
    LAM_HOP_NFC,
    LAM_HOP_NFD,
    TEN_THOUSAND,
    en,
    rows,
    text,
)

pytestmark = pytest.mark.django_db
HATINH_SET = "HATINH_NTM_XA_2017_2020"


def _form_data(form) -> dict:
    data = {}
    for bound in form:
        if bound.field.disabled:
            continue
        value, widget = bound.value(), bound.field.widget
        if isinstance(widget, CheckboxInput):
            if value:
                data[bound.html_name] = "on"
            continue
        if isinstance(value, list | tuple):
            data[bound.html_name] = [str(v) for v in value]
            continue
        if isinstance(widget, AutocompleteSelect) or value is None:
            data[bound.html_name] = "" if value is None else str(value)
            continue
        shown = widget.format_value(value)
        data[bound.html_name] = "" if shown is None else shown
    return data


def page_data(client, url) -> dict:
    """The add or change form at ``url`` as the browser would post it back unchanged."""
    page = client.get(url)
    assert page.status_code == 200, url
    data = _form_data(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(_form_data(formset.management_form))
        for form in formset.forms:
            data.update(_form_data(form))
    data["_save"] = "Save"
    return data


def admin_url(obj_or_model, action="change"):
    meta = obj_or_model._meta
    name = f"admin:{meta.app_label}_{meta.model_name}_{action}"
    return reverse(name, args=[obj_or_model.pk] if action == "change" else [])


def assert_refused(client, url, data, error, watched):
    before = rows(*watched)
    response = client.post(url, data)
    assert response.status_code == 400
    body = text(response)
    assert "errornote" in body or "errorlist" in body
    assert escape(error) in body, error
    assert rows(*watched) == before
    return response


@pytest.fixture
def admin(client):
    return en(client, "admin")


VISIBLE = "Write it in visible characters"


# -- Units ----------------------------------------------------------------------------------

COMMUNE_CASES = {
    "name-151": ({"name": "x" * 151}, "at most 150 characters (it has 151)"),
    "name-10k": ({"name": TEN_THOUSAND}, "at most 150 characters (it has 10000)"),
    **{f"name-{key}": ({"name": value}, VISIBLE) for key, value in INVISIBLE.items()},
    "code-17": ({"code": "1" * 17}, "at most 16 characters (it has 17)"),
    "code-letters": ({"code": "18838a"}, "A GSO code is made of digits only."),
    "code-zero-width": ({"code": "18838\u200b"}, "A GSO code is made of digits only."),
    "code-arabic-digits": ({"code": "١٨٨٣٨"}, "A GSO code is made of digits only."),
    "code-taken": ({"code": "18841"}, "already exists"),
    "kind-unknown": ({"kind": "quan"}, "Select a valid choice"),
    "group-huge": ({"commune_group": str(2**63)}, "Select a valid choice"),
    "group-text": ({"commune_group": "abc"}, "Select a valid choice"),
    "district-huge": ({"district": str(2**63)}, "Select a valid choice"),
    "district-text": ({"district": "Kỳ Anh"}, "Select a valid choice"),
    "district-missing": ({"district": "999999999"}, "Select a valid choice"),
    **{
        f"valid-from-{key}": ({"valid_from": value}, "Enter a valid date")
        for key, value in BAD_DATES.items()
    },
    "validity-reversed": (
        {"valid_from": "2020-01-01", "valid_to": "2019-12-31"},
        "Constraint “communes_commune_validity_ordered” is violated",
    ),
}


@pytest.mark.parametrize("case", COMMUNE_CASES)
def test_commune_change_form_refuses_malformed_input(admin, case):
    spoiled, error = COMMUNE_CASES[case]
    commune = legacy_unit(Commune, LAM_HOP)
    url = admin_url(commune)
    data = {**page_data(admin, url), **spoiled}
    watched = [Commune.objects.filter(pk=commune.pk), Commune.objects.filter(code__startswith="1")]
    assert_refused(admin, url, data, error, watched)


def test_commune_name_typed_with_combining_marks_is_stored_precomposed(admin):
    commune = legacy_unit(Commune, LAM_HOP)
    url = admin_url(commune)
    response = admin.post(url, {**page_data(admin, url), "name": f"Xã {LAM_HOP_NFD}"})
    assert response.status_code == 302
    assert Commune.objects.get(pk=commune.pk).name == f"Xã {LAM_HOP_NFC}"


@pytest.mark.parametrize("term", [LAM_HOP_NFD, LAM_HOP_NFC], ids=["nfd", "nfc"])
def test_admin_search_finds_a_name_however_its_accents_were_typed(admin, term):
    response = admin.get(admin_url(Commune, "changelist"), {"q": term})
    assert response.status_code == 200
    assert [c.code for c in response.context["cl"].result_list] == [LAM_HOP]


DISTRICT_CASES = {
    "name-151": ({"name": "x" * 151}, "at most 150 characters (it has 151)"),
    "code-empty": ({"code": ""}, "This field is required"),
    "code-rtl": ({"code": "\u202e9001"}, "A GSO code is made of digits only."),
    "province-wrong-type": ({"province": "Hà Tĩnh"}, "Select a valid choice"),
    "province-huge": ({"province": str(2**63)}, "Select a valid choice"),
    "kind-unknown": ({"kind": "tinh"}, "Select a valid choice"),
}


@pytest.mark.parametrize("case", DISTRICT_CASES)
def test_district_add_form_refuses_malformed_input(admin, case):
    spoiled, error = DISTRICT_CASES[case]
    province = legacy_unit(Province, "42")
    data = {
        "code": "90001",
        "name": "Huyện Thử",
        "kind": "huyen",
        "province": str(province.pk),
        "valid_from": "",
        "valid_to": "",
        "_save": "Save",
        **spoiled,
    }
    assert_refused(admin, admin_url(District, "add"), data, error, [District.objects.all()])


@pytest.mark.parametrize(
    ("spoiled", "error"),
    [
        ({"region": "mars"}, "Select a valid choice"),
        ({"kind": ""}, "This field is required"),
        ({"name": INVISIBLE["rtl-marks"]}, VISIBLE),
    ],
    ids=["region", "kind", "name-rtl"],
)
def test_province_change_form_refuses_malformed_input(admin, spoiled, error):
    province = legacy_unit(Province, "42")
    url = admin_url(province)
    data = {**page_data(admin, url), **spoiled}
    assert_refused(admin, url, data, error, [Province.objects.filter(pk=province.pk)])


@pytest.mark.parametrize(
    ("commune", "error"),
    [
        ("abc", "Select a valid choice"),
        (str(2**63), "Select a valid choice"),
        ("-1", "Select a valid choice"),
        ("", "This field is required"),
    ],
)
def test_village_add_form_refuses_a_commune_that_is_not_one(admin, commune, error):
    data = {
        "code": "9000001",
        "name": "Thôn Thử",
        "kind": "thon",
        "commune": commune,
        "_save": "Save",
    }
    assert_refused(admin, admin_url(Village, "add"), data, error, [Village.objects.all()])


# -- Criteria sets, criteria, indicators, thresholds -----------------------------------------

SET_CASES = {
    "code-65": ({"code": "a" * 65}, "at most 64 characters (it has 65)"),
    "code-not-a-slug": ({"code": "HA TINH"}, "Enter a valid “slug”"),
    "name-301": ({"name": "x" * 301}, "at most 300 characters (it has 301)"),
    "name-zero-width": ({"name": INVISIBLE["zero-width"]}, VISIBLE),
    "short-name-61": ({"short_name": "x" * 61}, "at most 60 characters (it has 61)"),
    "count-huge": (
        {"declared_indicator_count": str(2**63)},
        "Ensure this value is less than or equal to",
    ),
    "count-negative": ({"declared_indicator_count": "-1"}, "greater than or equal to 0"),
    "count-1e3": ({"declared_indicator_count": "1e3"}, "Enter a whole number"),
    "count-12.5": ({"declared_indicator_count": "12.5"}, "Enter a whole number"),
    "count-nan": ({"declared_indicator_count": "NaN"}, "Enter a whole number"),
    **{
        f"valid-to-{key}": ({"valid_to": value}, "Enter a valid date")
        for key, value in BAD_DATES.items()
    },
    "period-reversed": ({"valid_to": "2016-12-31"}, "“criteriaset_period_ordered” is violated"),
    "prerequisite-huge": ({"prerequisite": str(2**63)}, "Select a valid choice"),
    "level-unknown": ({"level": "nation"}, "Select a valid choice"),
}


@pytest.mark.parametrize("case", SET_CASES)
def test_criteria_set_change_form_refuses_malformed_input(admin, case):
    spoiled, error = SET_CASES[case]
    criteria_set = CriteriaSet.objects.get(code=HATINH_SET)
    url = admin_url(criteria_set)
    data = {**page_data(admin, url), **spoiled}
    watched = [CriteriaSet.objects.filter(pk=criteria_set.pk), criteria_set.criteria.all()]
    assert_refused(admin, url, data, error, watched)


CRITERION_CASES = {
    "number-negative": ({"number": "-1"}, "greater than or equal to 0"),
    "number-huge": ({"number": str(2**63)}, "Ensure this value is less than or equal to"),
    "number-12,5": ({"number": "12,5"}, "Enter a whole number"),
    "number-taken": ({"number": "2"}, "already exists"),
    "name-301": ({"name": "x" * 301}, "at most 300 characters (it has 301)"),
    "name-rtl": ({"name": INVISIBLE["rtl-marks"]}, VISIBLE),
    "verification-unknown": ({"verification": "trust-me"}, "Select a valid choice"),
}


@pytest.mark.parametrize("case", CRITERION_CASES)
def test_criterion_change_form_refuses_malformed_input(admin, case):
    spoiled, error = CRITERION_CASES[case]
    criterion = CriteriaSet.objects.get(code=HATINH_SET).criteria.get(number=1)
    url = admin_url(criterion)
    data = {**page_data(admin, url), **spoiled}
    watched = [Criterion.objects.filter(pk=criterion.pk), criterion.indicators.all()]
    assert_refused(admin, url, data, error, watched)


def _percent_indicator():
    return Indicator.objects.get(criterion__criteria_set__code=HATINH_SET, code="3.1")


def _threshold():
    return Threshold.objects.filter(value__isnull=False, value_text="").order_by("pk").first()


INDICATOR_CASES = {
    "code-17": ({"code": "x" * 17}, "at most 16 characters (it has 17)"),
    "unit-41": ({"unit": "x" * 41}, "at most 40 characters (it has 41)"),
    "kind-unknown": ({"kind": "text"}, "Select a valid choice"),
    "order-huge": ({"order": str(2**63)}, "Ensure this value is less than or equal to"),
    "criterion-huge": ({"criterion": str(2**63)}, "Select a valid choice"),
    "criterion-text": ({"criterion": "3"}, "Select a valid choice"),
}


@pytest.mark.parametrize("case", INDICATOR_CASES)
def test_indicator_change_form_refuses_malformed_input(admin, case):
    spoiled, error = INDICATOR_CASES[case]
    indicator = _percent_indicator()
    if case == "criterion-text":
        spoiled = {"criterion": "999999999"}
    url = admin_url(indicator)
    data = {**page_data(admin, url), **spoiled}
    watched = [Indicator.objects.filter(pk=indicator.pk), indicator.thresholds.all()]
    assert_refused(admin, url, data, error, watched)


THRESHOLD_VALUES = {
    **{
        name: (value, "Enter a number")
        for name, value in BAD_NUMBERS.items()
        if name not in ("huge-2**63", "negative")
    },
    "huge-2**63": (str(2**63), "Ensure that there are no more than 14 digits in total"),
    "11-digits": ("12345678901", "no more than 10 digits before the decimal point"),
    "5-decimals": ("85.12345", "no more than 4 decimal places"),
    "12,5": ("12,5", "Enter a number"),
    "1e-20": ("1e-20", "Ensure that there are no more than"),
}
THRESHOLD_VALUES["overflow-1e309"] = ("1e309", "Ensure that there are no more than 14 digits")


@pytest.mark.parametrize("case", THRESHOLD_VALUES)
def test_threshold_change_form_refuses_an_impossible_value(admin, case):
    value, error = THRESHOLD_VALUES[case]
    threshold = _threshold()
    url = admin_url(threshold)
    data = {**page_data(admin, url), "value": value}
    watched = [Threshold.objects.filter(pk=threshold.pk), Threshold.history.all()]
    assert_refused(admin, url, data, error, watched)


THRESHOLD_CASES = {
    "group-huge": ({"commune_group": str(2**63)}, "Ensure this value is less than or equal to"),
    "year-huge": ({"year": "99999"}, "Ensure this value is less than or equal to"),
    "year-negative": ({"year": "-2020"}, "greater than or equal to 0"),
    "value-text-501": ({"value_text": "x" * 501}, "at most 500 characters (it has 501)"),
    "no-value-at-all": (
        {"value": "", "value_text": INVISIBLE["zero-width"]},
        "threshold_has_value_or_text",
    ),
    "scope-mismatch": ({"scope": "region", "region": ""}, "threshold_scope_fields_consistent"),
    "source-rtl-only": ({"source": INVISIBLE["rtl-marks"]}, VISIBLE),
}


@pytest.mark.parametrize("case", THRESHOLD_CASES)
def test_threshold_change_form_refuses_malformed_fields(admin, case):
    spoiled, error = THRESHOLD_CASES[case]
    threshold = _threshold()
    url = admin_url(threshold)
    data = {**page_data(admin, url), **spoiled}
    watched = [Threshold.objects.filter(pk=threshold.pk), Threshold.history.all()]
    assert_refused(admin, url, data, error, watched)


def test_threshold_inline_of_the_indicator_refuses_an_impossible_value(admin):
    indicator = _threshold().indicator
    url = admin_url(indicator)
    data = page_data(admin, url)
    value_key = next(k for k in data if k.startswith("thresholds-") and k.endswith("-value"))
    data[value_key] = "1e309"
    watched = [
        Threshold.objects.filter(indicator=indicator),
        Indicator.objects.filter(pk=indicator.pk),
    ]
    assert_refused(admin, url, data, "Ensure that there are no more than 14 digits", watched)


# -- Assessments, recognitions, targets --------------------------------------------------------


@pytest.fixture
def assessment():
    commune = legacy_unit(Commune, LAM_HOP)
    return make_assessment(
        unit=commune,
        criteria_set=CriteriaSet.objects.get(code="NTM_XA_2016_2020"),
        met=range(1, 10),
        assessed_on=datetime.date(2020, 6, 30),
    )


def _assessment_rows(a):
    return [
        Assessment.objects.filter(pk=a.pk),
        CriterionResult.objects.filter(assessment=a),
        IndicatorValue.objects.filter(assessment=a),
        Assessment.history.all(),
    ]


ASSESSMENT_CASES = {
    **{
        f"date-{key}": ({"assessed_on": value}, "Enter a valid date")
        for key, value in BAD_DATES.items()
    },
    "date-year-9999": ({"assessed_on": "9999-12-31"}, "The date cannot be in the future."),
    "date-outside-the-set": ({"assessed_on": "2022-06-30"}, "is outside the period of the set"),
    "set-of-another-level": ("district-set", "applies to a"),
    "status-unknown": ({"status": "done"}, "Select a valid choice"),
    "two-units": ("two-units", "exactly_one_unit"),
    "no-unit": ({"commune": ""}, "exactly_one_unit"),
    "set-huge": ({"criteria_set": str(2**63)}, "Select a valid choice"),
    "import-source-301": ({"import_source": "x" * 301}, "at most 300 characters (it has 301)"),
}


@pytest.mark.parametrize("case", ASSESSMENT_CASES)
def test_assessment_change_form_refuses_malformed_input(admin, assessment, case):
    spoiled, error = ASSESSMENT_CASES[case]
    if spoiled == "district-set":
        spoiled = {"criteria_set": str(CriteriaSet.objects.filter(level="district").first().pk)}
    elif spoiled == "two-units":
        spoiled = {"village": str(make_village(commune=assessment.commune).pk)}
    url = admin_url(assessment)
    data = {**page_data(admin, url), **spoiled}
    assert_refused(admin, url, data, error, _assessment_rows(assessment))


def test_assessment_outside_its_period_is_kept_when_allowed(admin, assessment):
    url = admin_url(assessment)
    data = {**page_data(admin, url), "assessed_on": "2022-06-30", "allow_outside_period": "on"}
    assert admin.post(url, data).status_code == 302
    assert str(Assessment.objects.get(pk=assessment.pk).assessed_on) == "2022-06-30"


INLINE_CASES = {
    # A negative value is a number the column holds: the administrator's to correct.
    **{
        f"value-{name}": ("value_number", value, None)
        for name, value in BAD_NUMBERS.items()
        if name != "negative"
    },
    "criterion-text": ("criterion", "abc", "Select a valid choice"),
    "criterion-huge": ("criterion", str(2**63), "Select a valid choice"),
    "criterion-missing": ("criterion", "999999999", "Select a valid choice"),
    "status-unknown": ("status", "đạt", "Select a valid choice"),
}
INLINE_NUMBER_ERRORS = {
    "huge-2**63": "Ensure that there are no more than 14 digits in total",
}


@pytest.mark.parametrize("case", INLINE_CASES)
def test_assessment_inlines_refuse_malformed_rows(admin, assessment, case):
    field, value, error = INLINE_CASES[case]
    url = admin_url(assessment)
    data = page_data(admin, url)
    prefix = "results" if field in ("criterion", "status") else "indicator_values"
    key = next(k for k in data if k.startswith(prefix + "-0-") and k.endswith("-" + field))
    data[key] = value
    error = error or INLINE_NUMBER_ERRORS.get(case.removeprefix("value-")) or "Enter a number"
    if case == "value-overflow-1e309":
        error = "Ensure that there are no more than 14 digits in total"
    assert_refused(admin, url, data, error, _assessment_rows(assessment))


@pytest.fixture
def recognition():
    return make_recognition(unit=legacy_unit(Commune, LAM_HOP))


RECOGNITION_CASES = {
    **{
        f"decided-{key}": ({"decided_on": value}, "Enter a valid date")
        for key, value in BAD_DATES.items()
    },
    "revoked-before-decided": (
        {"revoked_on": "2020-01-01", "revocation_reason": "Không duy trì"},
        "recognition_revoked_after_decision",
    ),
    "revoked-without-visible-reason": (
        {"revoked_on": "2021-01-01", "revocation_reason": INVISIBLE["mixed-with-spaces"]},
        "recognition_revocation_needs_reason",
    ),
    "number-61": ({"decision_number": "x" * 61}, "at most 60 characters (it has 61)"),
    "signer-201": ({"signer": "x" * 201}, "at most 200 characters (it has 201)"),
    "assessment-huge": ({"assessment": str(2**63)}, "Select a valid choice"),
    "assessment-text": ({"assessment": "abc"}, "Select a valid choice"),
    "title-unknown": ({"title": "ntm-plus"}, "Select a valid choice"),
}


@pytest.mark.parametrize("case", RECOGNITION_CASES)
def test_recognition_change_form_refuses_malformed_input(admin, recognition, case):
    spoiled, error = RECOGNITION_CASES[case]
    url = admin_url(recognition)
    data = {**page_data(admin, url), **spoiled}
    watched = [Recognition.objects.filter(pk=recognition.pk), Recognition.history.all()]
    assert_refused(admin, url, data, error, watched)


TARGET_CASES = {
    "year-huge": ({"planned_year": str(2**63)}, "Ensure this value is less than or equal to"),
    "year-negative": ({"planned_year": "-1"}, "greater than or equal to 0"),
    "year-text": ({"planned_year": "năm 2025"}, "Enter a whole number"),
    "year-1e3": ({"planned_year": "1e3"}, "Enter a whole number"),
    "title-unknown": ({"title": "xyz"}, "Select a valid choice"),
    "commune-text": ({"commune": "Lâm Hợp"}, "Select a valid choice"),
    "taken": ("taken", "already exists"),
}


@pytest.mark.parametrize("case", TARGET_CASES)
def test_target_add_form_refuses_malformed_input(admin, case):
    spoiled, error = TARGET_CASES[case]
    commune = legacy_unit(Commune, LAM_HOP)
    if spoiled == "taken":
        make_target(unit=commune, title="ntmnc")
        spoiled = {"title": "ntmnc"}
    data = {
        "commune": str(commune.pk),
        "village": "",
        "district": "",
        "title": "model",
        "planned_year": "2027",
        "criteria_set": "",
        "note": "",
        "_save": "Save",
        **spoiled,
    }
    assert_refused(admin, admin_url(Target, "add"), data, error, [Target.objects.all()])


def test_a_valid_admin_form_still_saves(admin, recognition):
    url = admin_url(recognition)
    response = admin.post(url, {**page_data(admin, url), "signer": "Võ Trọng Hải"})
    assert response.status_code == 302
    assert Recognition.objects.get(pk=recognition.pk).signer == "Võ Trọng Hải"
