"""Build the criteria-set reference fixture from the research files.

Input: ``ntm-criteria.json`` as corrected by ``ntm-criteria-addendum.json`` (shared/reference).
Output: a Django fixture with natural keys (``fixtures/criteria.json``), loaded by
``manage.py load_criteria``. The fixture is committed, so a fresh machine needs no research
files; ``manage.py build_criteria_fixture`` regenerates it and a test checks the two agree.

The research files give thresholds as free text ("chung ≥45; TDMNPB ≥36; ..."). Turning text
into structured thresholds is a judgement, so it is written out below by hand, one line per
threshold, and only for items whose verification tag is VERIFIED-* or LOCAL. Anything else,
however plausible ("≥ 98% (recalled)"), becomes no threshold at all: the portal shows it as
"chưa quy định" and keeps the text as a visibly unverified reference note.
"""

from __future__ import annotations

import copy
import datetime
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from communes.enums import Region

from .enums import Comparison, IndicatorKind, SetLevel, ThresholdScope, Title, Verification

VERIFIED_TAGS = {Verification.OFFICIAL, Verification.SECONDARY, Verification.LOCAL}

# Province GSO codes of the provincial (LOCAL) thresholds the reference quotes.
VINH_LONG = "86"
THANH_HOA = "38"
HA_TINH = "42"


@dataclass(frozen=True)
class SetMeta:
    """What the research JSON leaves implicit about a set, decided here once."""

    short_name: str
    level: str
    title: str
    valid_from: str | None
    valid_to: str | None
    declared_criteria: int | None = None
    declared_indicators: int | None = None
    province: str | None = None
    prerequisite: str | None = None
    note: str = ""


# The sets the portal carries, in display order. Periods use the effective date where the
# reference verifies one (QĐ 1980: 01/12/2016; QĐ 51/2025: 15/02/2026), else the period's years.
SETS: dict[str, SetMeta] = {
    "NTM_XA_2021_2025": SetMeta(
        "NTM 2021–2025", SetLevel.COMMUNE, Title.NTM, "2021-01-01", "2025-12-31", 19, 57
    ),
    "NTMNC_XA_2021_2025": SetMeta(
        "NTM nâng cao 2021–2025",
        SetLevel.COMMUNE,
        Title.NTMNC,
        "2021-01-01",
        "2025-12-31",
        19,
        75,
        prerequisite="NTM_XA_2021_2025",
        note=(
            "Xã NTM nâng cao = xã đạt chuẩn NTM 2021–2025 và đạt 19 tiêu chí NTM nâng cao. "
            "Văn bản có 75 chỉ tiêu; phần lớn tên chỉ tiêu chưa có văn bản gốc."
        ),
    ),
    "NTM_KIEUMAU_XA_2021_2025": SetMeta(
        "NTM kiểu mẫu 2021–2025",
        SetLevel.COMMUNE,
        Title.MODEL,
        "2021-01-01",
        "2025-12-31",
        4,
        prerequisite="NTMNC_XA_2021_2025",
        note=(
            "Bốn điều kiện của QĐ 319/QĐ-TTg; điều kiện 1 đòi hỏi đạt đủ 75/75 chỉ tiêu "
            "NTM nâng cao."
        ),
    ),
    "NTM_XA_2016_2020": SetMeta(
        "NTM 2016–2020", SetLevel.COMMUNE, Title.NTM, "2016-12-01", "2020-12-31", 19
    ),
    "HATINH_NTM_XA_2017_2020": SetMeta(
        "Hà Tĩnh 20 tiêu chí (2017–2020)",
        SetLevel.COMMUNE,
        Title.NTM,
        "2017-01-01",
        "2020-12-31",
        20,
        province=HA_TINH,
        note=(
            "Suy luận: tiêu chí 1–19 theo QĐ 1980/QĐ-TTg (chỉ tiêu chép từ bộ 1980, ngưỡng do "
            "tỉnh quy định nên để trống) cộng tiêu chí 20 của tỉnh. Số quyết định của tỉnh "
            "chưa tìm thấy."
        ),
    ),
    "PHUONG_TIEU_CHUAN_2016_2025": SetMeta(
        "Tiêu chí phường (2016–2025)",
        SetLevel.COMMUNE,
        Title.WARD,
        "2016-01-01",
        "2025-12-31",
        note=(
            "Chứa các tiêu chuẩn đã kiểm chứng: Điều 8 NQ 1211/2016 (sửa đổi) và 7 dòng đầu "
            "Bảng 2.1 NQ 1210/2016, mỗi tiêu chuẩn là một mục. Danh mục 17 tiêu chí của từng "
            "đề án (ví dụ xã Thuận Lộc) chưa công bố: quản trị viên bổ sung bằng nhập tệp."
        ),
    ),
    "NTM_HUYEN_2021_2025": SetMeta(
        "Huyện NTM 2021–2025",
        SetLevel.DISTRICT,
        Title.DISTRICT_NTM,
        "2021-01-01",
        "2025-12-31",
        9,
    ),
    "NTM_XA_2026_2030": SetMeta(
        "NTM 2026–2030",
        SetLevel.COMMUNE,
        Title.NTM,
        "2026-02-15",
        "2030-12-31",
        10,
        47,
        note=(
            "10 tiêu chí, 47 chỉ tiêu, ngưỡng theo 3 nhóm xã. Danh mục chỉ tiêu và ngưỡng "
            "(Phụ lục I) chưa có văn bản gốc."
        ),
    ),
}


# --- Legal effective dates ---------------------------------------------------------------------
# Only the dates the reference gives (ntm-criteria.md §0, ntm-criteria-2026.md A.1). For QĐ 318,
# 319 and 320 the reference gives one date, the day they were signed (08/03/2022), and no other
# effective date or transition rule; that date is used and the set page says so. A set whose
# decision is not known (Hà Tĩnh's) or whose date the reference omits (the ward standards) has
# none: it is offered from its period start and its page says the date is not known.
_SIGNED_08_03_2022 = (
    "Ngày ký {decision} (08/03/2022), ngày duy nhất tài liệu tham chiếu ghi cho quyết định "
    "này; tài liệu không nêu ngày hiệu lực khác hay quy định chuyển tiếp."
)
EFFECTIVE: dict[str, tuple[str | None, str]] = {
    "NTM_XA_2021_2025": ("2022-03-08", _SIGNED_08_03_2022.format(decision="QĐ 318/QĐ-TTg")),
    "NTMNC_XA_2021_2025": ("2022-03-08", _SIGNED_08_03_2022.format(decision="QĐ 318/QĐ-TTg")),
    "NTM_KIEUMAU_XA_2021_2025": (
        "2022-03-08",
        _SIGNED_08_03_2022.format(decision="QĐ 319/QĐ-TTg"),
    ),
    "NTM_XA_2016_2020": (
        "2016-12-01",
        "QĐ 1980/QĐ-TTg ngày 17/10/2016, có hiệu lực từ 01/12/2016 (nguồn thứ cấp).",
    ),
    "HATINH_NTM_XA_2017_2020": (
        None,
        "Chưa rõ: số quyết định của tỉnh chưa tìm thấy nên chưa có ngày hiệu lực; bộ được "
        "dùng trong giai đoạn 2017–2020.",
    ),
    "PHUONG_TIEU_CHUAN_2016_2025": (
        None,
        "Chưa rõ: tài liệu tham chiếu không ghi ngày hiệu lực của NQ 1211/2016/UBTVQH13; "
        "thay thế từ 01/01/2026 bởi NQ 112/2025/UBTVQH15.",
    ),
    "NTM_HUYEN_2021_2025": ("2022-03-08", _SIGNED_08_03_2022.format(decision="QĐ 320/QĐ-TTg")),
    "NTM_XA_2026_2030": (
        "2026-02-15",
        "QĐ 51/2025/QĐ-TTg ngày 29/12/2025, có hiệu lực từ 15/02/2026 (nguồn thứ cấp: "
        "vneconomy.vn).",
    ),
}


# --- Conditions of the recognition procedure ------------------------------------------------
# QĐ 18/2022/QĐ-TTg, Điều 4 (reference §8.1, VERIFIED-SECONDARY through langngheviet.com.vn and
# lawnet.vn): a commune is recognised NTM, NTM nâng cao or model when it (1) fully meets the set,
# (2) has no outstanding capital-construction debt under the programme, (3) reaches the required
# residents' satisfaction and (4) is not "complex" in security and order. (1) is the criteria
# check itself; (2)-(4) are recorded by the province as yes/no with their evidence. The
# reference quotes no percentage for (3), so none is written here. Only the 2021-2025 commune
# sets follow 18/2022; the procedure replacing it for 2026-2030 was not found.
PROCEDURE_18_2022_SOURCE = "langngheviet.com.vn; lawnet.vn (tóm tắt Điều 4 QĐ 18/2022/QĐ-TTg)"
PROCEDURE_18_2022 = (
    (
        "DK1",
        "Không còn nợ đọng xây dựng cơ bản (nợ đọng XDCB) trong thực hiện Chương trình "
        "nông thôn mới",
        "No outstanding capital-construction debt under the new-rural programme",
    ),
    (
        "DK2",
        "Đạt tỷ lệ người dân hài lòng theo quy định",
        "Reaches the required rate of residents' satisfaction",
    ),
    (
        "DK3",
        "Không thuộc diện phức tạp về an ninh, trật tự theo hướng dẫn của Bộ Công an",
        "Not classified as complex in security and order (Ministry of Public Security)",
    ),
)
RECOGNITION_CONDITIONS = {
    code: PROCEDURE_18_2022
    for code in ("NTM_XA_2021_2025", "NTMNC_XA_2021_2025", "NTM_KIEUMAU_XA_2021_2025")
}


def _condition_rows(set_code: str) -> list[dict]:
    return [
        {
            "model": "criteria.recognitioncondition",
            "fields": {
                "criteria_set": [set_code],
                "code": code,
                "order": order,
                "name": name,
                "name_en": name_en,
                "legal_basis": "QĐ 18/2022/QĐ-TTg, Điều 4",
                "verification": Verification.SECONDARY,
                "source": PROCEDURE_18_2022_SOURCE,
            },
        }
        for order, (code, name, name_en) in enumerate(
            RECOGNITION_CONDITIONS.get(set_code, ()), start=1
        )
    ]


# --- Curated thresholds ----------------------------------------------------------------------
# (set code, indicator code) -> list of threshold rows. Each row: scope, scope value, value,
# text as written, year. Region keys are communes.enums.Region values.


@dataclass(frozen=True)
class T:
    scope: str
    value: Decimal | None = None
    text: str = ""
    region: str = ""
    province: str | None = None
    group: int | None = None
    year: int | None = None
    note: str = ""


def national(value=None, text="", **kw) -> T:
    return T(ThresholdScope.NATIONAL, _d(value), text, **kw)


def region(code: str, value=None, text="", **kw) -> T:
    return T(ThresholdScope.REGION, _d(value), text, region=code, **kw)


def province(code: str, value=None, text="", **kw) -> T:
    return T(ThresholdScope.PROVINCE, _d(value), text, province=code, **kw)


def regions(pairs: dict[str, float | str], **kw) -> list[T]:
    return [region(code, value, **kw) for code, value in pairs.items()]


def _d(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


R = Region
YES = national(text="Đạt")

THRESHOLDS: dict[tuple[str, str], list[T]] = {
    # -- QĐ 318, Phụ lục I (NTM 2021–2025) --
    ("NTM_XA_2021_2025", "3.1"): [national(80)],
    ("NTM_XA_2021_2025", "3.2"): [YES],
    ("NTM_XA_2021_2025", "5"): [
        province(
            VINH_LONG,
            text=(
                "Xã có ≤ 3 trường: 100% đạt tiêu chuẩn cơ sở vật chất tối thiểu, trong đó "
                "≥ 50% đạt mức độ 1 (QĐ 1347/QĐ-UBND tỉnh Vĩnh Long)"
            ),
        )
    ],
    ("NTM_XA_2021_2025", "6.2"): [YES],
    ("NTM_XA_2021_2025", "8.1"): [
        national(
            text=(
                "Đạt (≥ 1 điểm; mở cửa ≥ 4 giờ/ngày làm việc; dịch vụ thư ≤ 2 kg, gói/kiện "
                "≤ 5 kg — QĐ 1127/QĐ-BTTTT)"
            )
        )
    ],
    ("NTM_XA_2021_2025", "8.2"): [YES],
    ("NTM_XA_2021_2025", "8.3"): [YES],
    ("NTM_XA_2021_2025", "8.4"): [YES],
    ("NTM_XA_2021_2025", "9.1"): [national(text="Không")],
    ("NTM_XA_2021_2025", "9.2"): [province(VINH_LONG, 85)],
    ("NTM_XA_2021_2025", "15.2"): [YES],
    # The source prints "≥" but the indicator is a ceiling (stunting rate); see reference §1.2.
    ("NTM_XA_2021_2025", "15.3"): regions(
        {R.TDMNPB: 24, R.DBSH: 16.5, R.BTB: 25, R.DHNTB: 22, R.TN: 26.5, R.DNB: 14.5, R.DBSCL: 19}
    ),
    ("NTM_XA_2021_2025", "15.4"): regions({R.TDMNPB: 50, R.DBSH: 70}),
    ("NTM_XA_2021_2025", "17.1"): [
        province(
            THANH_HOA,
            text="Trong đó ≥ 15–20% số hộ dùng nước sạch từ hệ thống cấp nước tập trung",
            note="Chỉ là yêu cầu phụ; tỷ lệ chung theo vùng chưa tìm thấy.",
        )
    ],
    # -- QĐ 318, Phụ lục II (NTM nâng cao 2021–2025) --
    ("NTMNC_XA_2021_2025", "16.1"): [YES],
    ("NTMNC_XA_2021_2025", "17.x"): [province(THANH_HOA, 55)],
    # -- QĐ 1980 (NTM 2016–2020) --
    ("NTM_XA_2016_2020", "1.1"): [YES],
    ("NTM_XA_2016_2020", "1.2"): [YES],
    **{
        ("NTM_XA_2016_2020", code): [national(text="Đạt (mức cụ thể do UBND tỉnh quy định)")]
        for code in ("2.1", "2.2", "2.3", "2.4")
    },
    ("NTM_XA_2016_2020", "3.1"): [national(80)],
    ("NTM_XA_2016_2020", "8.1"): [national(text="Đạt (QĐ 441/QĐ-BTTTT)")],
    ("NTM_XA_2016_2020", "8.2"): [YES],
    ("NTM_XA_2016_2020", "8.3"): [YES],
    ("NTM_XA_2016_2020", "8.4"): [YES],
    ("NTM_XA_2016_2020", "9.1"): [national(text="Không")],
    ("NTM_XA_2016_2020", "9.2"): [national(80)],
    ("NTM_XA_2016_2020", "10"): [
        national(45, year=2020),
        *regions(
            {R.TDMNPB: 36, R.DBSH: 50, R.BTB: 36, R.DHNTB: 41, R.TN: 41, R.DNB: 59, R.DBSCL: 50},
            year=2020,
        ),
    ],
    ("NTM_XA_2016_2020", "11"): [national(6)],
    ("NTM_XA_2016_2020", "12"): [national(90)],
    ("NTM_XA_2016_2020", "13.1"): [YES],
    ("NTM_XA_2016_2020", "13.2"): [YES],
    ("NTM_XA_2016_2020", "14.1"): [YES],
    ("NTM_XA_2016_2020", "14.2"): [
        national(85),
        *regions(
            {R.TDMNPB: 70, R.DBSH: 90, R.BTB: 85, R.DHNTB: 85, R.TN: 70, R.DNB: 90, R.DBSCL: 80}
        ),
    ],
    ("NTM_XA_2016_2020", "14.3"): [
        national(40),
        *regions(
            {R.TDMNPB: 25, R.DBSH: 40, R.BTB: 40, R.DHNTB: 40, R.TN: 25, R.DNB: 45, R.DBSCL: 25}
        ),
    ],
    ("NTM_XA_2016_2020", "15.1"): [national(85)],
    ("NTM_XA_2016_2020", "15.2"): [YES],
    ("NTM_XA_2016_2020", "15.3"): [
        national(21.8),
        *regions(
            {R.TDMNPB: 26.7, R.DBSH: 13.9, R.BTB: 24.2, R.DHNTB: 24.2, R.DNB: 14.3, R.DBSCL: 20.5}
        ),
        region(R.TN, 31.4, note="Một nguồn khác ghi 31%."),
    ],
    # Hygienic-water share per region; the clean-water sub-share is kept as text. The national
    # clean-water figure conflicts between sources (65% / 60%) and DHNTB's main figure is
    # uncertain in the source ("95?"), so those carry text only.
    ("NTM_XA_2016_2020", "17.1"): [
        national(95, note="Nước sạch: ≥ 65% (hỏi đáp) hoặc ≥ 60% (tin văn bản) — nguồn mâu thuẫn."),
        region(R.TDMNPB, 90, note="Trong đó nước sạch ≥ 50%."),
        region(R.DBSH, 98, note="Trong đó nước sạch ≥ 65%."),
        region(R.BTB, 98, note="Trong đó nước sạch ≥ 60%."),
        region(R.DHNTB, text="Nước hợp vệ sinh ≥ 95% (?); trong đó nước sạch ≥ 60%"),
        region(R.TN, 95, note="Trong đó nước sạch ≥ 50%."),
        region(R.DNB, 98, note="Trong đó nước sạch ≥ 65%."),
        region(R.DBSCL, 95, note="Trong đó nước sạch ≥ 65%."),
    ],
    **{("NTM_XA_2016_2020", f"18.{n}"): [YES] for n in range(1, 7)},
    # -- QĐ 320 (huyện NTM 2021–2025), transport indicators per QĐ 932/QĐ-BGTVT --
    ("NTM_HUYEN_2021_2025", "2.1"): [
        national(
            text=(
                "Đạt: 100% xã có đường ô tô đến đường huyện và trung tâm hành chính, đi lại "
                "thuận tiện quanh năm; 100% mặt đường huyện nhựa/bê tông xi măng; 100% đường "
                "huyện được bảo trì hằng năm"
            )
        )
    ],
    ("NTM_HUYEN_2021_2025", "2.2"): [
        national(
            text=(
                "100% được đầu tư, nâng cấp theo cấp đường quy hoạch; đạt TCVN 4054:2005; "
                "cầu, cống kiên cố"
            )
        )
    ],
    ("NTM_HUYEN_2021_2025", "2.4"): [
        national(text="Đạt: bến loại 4 trở lên, được công bố khai thác theo QCVN 45:2012/BGTVT")
    ],
    # -- Ward standards (NQ 1211/2016 Điều 8; NQ 1210/2016 Bảng 2.1) --
    ("PHUONG_TIEU_CHUAN_2016_2025", "1"): [
        national(
            text=(
                "Phường thuộc quận ≥ 15.000 người; thuộc thành phố ≥ 7.000 người; "
                "thuộc thị xã ≥ 5.000 người"
            )
        )
    ],
    ("PHUONG_TIEU_CHUAN_2016_2025", "2"): [national(5.5)],
    ("PHUONG_TIEU_CHUAN_2016_2025", "2.1-1"): [national(2.7)],
    ("PHUONG_TIEU_CHUAN_2016_2025", "2.1-2"): [national(text="≥ 1 trạm/5.000 người")],
    ("PHUONG_TIEU_CHUAN_2016_2025", "2.1-3"): [national(0.5)],
    ("PHUONG_TIEU_CHUAN_2016_2025", "2.1-4"): [national(1)],
    ("PHUONG_TIEU_CHUAN_2016_2025", "2.1-5"): [national(2)],
    ("PHUONG_TIEU_CHUAN_2016_2025", "2.1-6"): [
        national(text="≥ 15 / ≥ 13 / ≥ 11 / ≥ 9 … theo loại đô thị (đặc biệt / I / II / III / IV)")
    ],
    ("PHUONG_TIEU_CHUAN_2016_2025", "2.1-7"): [
        national(text="≥ 1.000 / ≥ 850 … kWh/người/năm theo loại đô thị")
    ],
}

# Indicator kind, unit and comparison where the name alone does not say it.
# (set code, indicator code) -> (kind, unit, comparison)
NUMERIC = IndicatorKind.NUMERIC
BOOLEAN = IndicatorKind.BOOLEAN
SHAPES: dict[tuple[str, str], tuple[str, str, str]] = {
    ("NTM_XA_2021_2025", "10"): (NUMERIC, "triệu đồng/người/năm", Comparison.AT_LEAST),
    ("NTM_XA_2021_2025", "11"): (NUMERIC, "%", Comparison.AT_MOST),
    ("NTM_XA_2021_2025", "15.3"): (NUMERIC, "%", Comparison.AT_MOST),
    ("NTM_XA_2021_2025", "17.4"): (NUMERIC, "m²/người", Comparison.AT_LEAST),
    ("NTM_XA_2016_2020", "10"): (NUMERIC, "triệu đồng/người", Comparison.AT_LEAST),
    ("NTM_XA_2016_2020", "11"): (NUMERIC, "%", Comparison.AT_MOST),
    ("NTM_XA_2016_2020", "15.3"): (NUMERIC, "%", Comparison.AT_MOST),
    ("PHUONG_TIEU_CHUAN_2016_2025", "1"): (NUMERIC, "người", Comparison.AT_LEAST),
    ("PHUONG_TIEU_CHUAN_2016_2025", "2"): (NUMERIC, "km²", Comparison.AT_LEAST),
    ("PHUONG_TIEU_CHUAN_2016_2025", "2.1-1"): (NUMERIC, "m²/người", Comparison.AT_LEAST),
    ("PHUONG_TIEU_CHUAN_2016_2025", "2.1-2"): (NUMERIC, "trạm", Comparison.AT_LEAST),
    ("PHUONG_TIEU_CHUAN_2016_2025", "2.1-3"): (NUMERIC, "m²/người", Comparison.AT_LEAST),
    ("PHUONG_TIEU_CHUAN_2016_2025", "2.1-4"): (NUMERIC, "công trình", Comparison.AT_LEAST),
    ("PHUONG_TIEU_CHUAN_2016_2025", "2.1-5"): (NUMERIC, "m²/người", Comparison.AT_LEAST),
    ("PHUONG_TIEU_CHUAN_2016_2025", "2.1-6"): (NUMERIC, "km/km²", Comparison.AT_LEAST),
    ("PHUONG_TIEU_CHUAN_2016_2025", "2.1-7"): (NUMERIC, "kWh/người/năm", Comparison.AT_LEAST),
}


# --- Merging -----------------------------------------------------------------------------------


def load_reference(reference_dir: Path) -> dict[str, dict]:
    """Base sets, by code, with the addendum's corrections merged in (by set code, criterion
    number and indicator code; a key the addendum gives replaces the base's)."""
    base = json.loads((reference_dir / "ntm-criteria.json").read_text(encoding="utf-8"))
    addendum = json.loads(
        (reference_dir / "ntm-criteria-addendum.json").read_text(encoding="utf-8")
    )
    sets = {s["code"]: copy.deepcopy(s) for s in base["sets"]}
    for patch in addendum["sets"]:
        target = sets[patch["code"]]
        for key, value in patch.items():
            if key != "criteria":
                target.setdefault("addendum", {})[key] = value
        by_number = {c["number"]: c for c in target.get("criteria") or []}
        for c_patch in patch.get("criteria") or []:
            criterion = by_number.get(c_patch["number"])
            if criterion is None:
                criterion = {"number": c_patch["number"], "indicators": []}
                target.setdefault("criteria", []).append(criterion)
                by_number[c_patch["number"]] = criterion
            by_code = {i["code"]: i for i in criterion.get("indicators") or []}
            for key, value in c_patch.items():
                if key == "indicators":
                    continue
                if key == "group" and value and "conflict" in value and criterion.get("group"):
                    # The addendum explains a conflict of sources rather than a new group.
                    criterion["group_note"] = value
                    continue
                criterion[key] = value
            for i_patch in c_patch.get("indicators") or []:
                indicator = by_code.get(i_patch["code"])
                if indicator is None:
                    criterion.setdefault("indicators", []).append(dict(i_patch))
                    continue
                for key, value in i_patch.items():
                    if value is None and indicator.get(key):
                        continue  # "wording NOT FOUND" must not erase the base's wording
                    indicator[key] = value
    return sets


def verification_tag(text: str | None) -> str:
    """The leading tag of a reference verification string ("VERIFIED-SECONDARY (…)")."""
    text = (text or "").strip()
    for tag in (
        Verification.OFFICIAL,
        Verification.SECONDARY,
        Verification.LOCAL,
        Verification.RECALLED,
        Verification.INFERRED,
    ):
        if text.startswith(tag.value):
            return tag.value
    if text.upper().startswith("NOT FOUND"):
        return Verification.NOT_FOUND.value
    raise ValueError(f"Unknown verification tag: {text!r}")


def _sources(value) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        return value
    return "\n".join(v for v in value if v)


# Sets whose indicators are copied from another set's: they take that set's shapes, so an
# indicator with a unit stays a number (Hà Tĩnh's 10, income in triệu đồng/người, was yes/no).
SHAPE_FROM = {"HATINH_NTM_XA_2017_2020": "NTM_XA_2016_2020"}
_UNIT_IN_NAME = re.compile(r"\((triệu đồng[^)]*)\)\s*$")


def _shape(set_code: str, code: str, name: str, threshold_text: str | None):
    if (set_code, code) in SHAPES:
        return SHAPES[(set_code, code)]
    if (SHAPE_FROM.get(set_code), code) in SHAPES:
        return SHAPES[(SHAPE_FROM[set_code], code)]
    if unit := _UNIT_IN_NAME.search(name):
        # A quantity with a unit is a number, never a yes/no.
        return NUMERIC, unit.group(1), Comparison.AT_LEAST
    text = (threshold_text or "").strip()
    if name.startswith("Tỷ lệ") or "%" in text:
        ceiling = "nghèo" in name or "suy dinh dưỡng" in name
        return NUMERIC, "%", Comparison.AT_MOST if ceiling else Comparison.AT_LEAST
    if text.startswith("Không"):
        return BOOLEAN, "", Comparison.NO
    return BOOLEAN, "", Comparison.YES


# --- Fixture rows ------------------------------------------------------------------------------


def _ward_items(raw: dict) -> list[dict]:
    """Flatten the ward set: each verified standard (Điều 8 items 1–3 and each row of the
    infrastructure table) becomes one checklist item, as an official ticks them one by one."""
    criteria = {c["number"]: c for c in raw["criteria"]}
    items = [criteria[1], criteria[2], criteria[3]]
    infra = criteria[4]
    for n, indicator in enumerate(infra["indicators"], start=4):
        name, garbled = _without_garbled_label(indicator["name_vi"])
        if garbled:
            indicator = {**indicator, "name_vi": name}
        items.append(
            {
                "number": n,
                "name_vi": name,
                "group": "Điều 8 khoản 4 — hạ tầng đô thị (Bảng 2.1/2A)",
                "verification": indicator["verification"],
                "source": infra.get("source"),
                "indicators": [indicator],
                "note": (
                    "Suy luận: mỗi dòng của bảng tiêu chuẩn hạ tầng là một mục của danh mục. "
                    + infra["name_vi"]
                    + (
                        " Nhãn của dòng này trong nguồn bị lỗi; cần đối chiếu văn bản gốc."
                        if garbled
                        else ""
                    )
                ),
            }
        )
    return items


def _without_garbled_label(name: str) -> tuple[str, bool]:
    """The name without the research's "[source label garbled]" remark, and whether it had
    one (the item's note then says so in Vietnamese)."""
    cleaned = re.sub(r"\s*\[source label garbled\]", "", name)
    return cleaned, cleaned != name


def _conditions(raw: dict) -> list[dict]:
    """Model-commune conditions become the set's criteria, numbered in order."""
    return [
        {
            "number": n,
            "name_vi": condition["name_vi"],
            "group": "",
            "verification": condition["verification"],
            "source": _sources(raw.get("sources")),
            "note": condition["code"],
            "indicators": [],
        }
        for n, condition in enumerate(raw["conditions"], start=1)
    ]


def _notes_2026(reference_dir: Path) -> list[str]:
    """What the third reference note verifies about QĐ 51/2025/QĐ-TTg beyond the base one:
    the decision's title and signer, its three annexes and the final numbering of the commune
    groups (the mid-2025 draft numbered them the other way round: the addendum says not to
    use it), in Vietnamese for the set page."""
    path = reference_dir / "ntm-criteria-2026.json"
    if not path.exists():
        return []
    raw = json.loads(path.read_text(encoding="utf-8"))
    found = next((x for x in raw["sets"] if x["code"] == "NTM_XA_2026_2030"), None)
    if found is None:
        return []
    basis = found["legal_basis"]
    lines = [
        f"Văn bản: {basis['title']['value']}, số {basis['number']['value']}, ngày "
        f"{datetime.date.fromisoformat(basis['date']['value']):%d/%m/%Y}; "
        f"{basis['issuer']['value']}.",
    ]
    annexes = basis["annexes"]["value"]
    for name, title in annexes.items():
        known = " (nội dung chưa có văn bản gốc)" if name != "Phụ lục I" else ""
        lines.append(f"{name}: {title}{known}.")
    groups = found["commune_groups"]
    for n in (1, 2, 3):
        lines.append(f"Nhóm {n}: {groups[f'nhom_{n}']['definition']}.")
    lines.append(
        "Cách đánh số nhóm theo văn bản ban hành; bản dự thảo giữa năm 2025 đánh số ngược lại "
        "và không được dùng."
    )
    lines.append(
        "47 chỉ tiêu và mức đạt theo từng nhóm xã (Phụ lục I): chưa có văn bản gốc; quản trị "
        "viên bổ sung từ văn bản bằng tệp bộ tiêu chí (một phiên bản mới nếu bộ đã có đánh giá)."
    )
    return lines


def build_fixture(reference_dir: Path) -> list[dict]:
    sets = load_reference(Path(reference_dir))
    rows: list[dict] = []
    used_thresholds: set[tuple[str, str]] = set()
    for code, meta in SETS.items():
        raw = sets[code]
        criteria = raw.get("criteria") or []
        if code == "PHUONG_TIEU_CHUAN_2016_2025":
            criteria = _ward_items(raw)
        elif code == "NTM_KIEUMAU_XA_2021_2025":
            criteria = _conditions(raw)
        elif code == "HATINH_NTM_XA_2017_2020":
            criteria = _hatinh_criteria(raw, sets["NTM_XA_2016_2020"])

        addendum = raw.get("addendum", {})
        notes = [meta.note]
        if code == "NTM_XA_2026_2030":
            notes += _notes_2026(Path(reference_dir))
        if raw.get("conditions") and code != "NTM_KIEUMAU_XA_2021_2025":
            notes += [
                f"{c['code']}: {c['name_vi']} [{c['verification']}]" for c in raw["conditions"]
            ]
        for rule in raw.get("rules") or []:
            notes.append(rule)
        if addendum.get("group_note"):
            notes.append(addendum["group_note"])
        rows.append(
            {
                "model": "criteria.criteriaset",
                "fields": {
                    "code": code,
                    "name": raw["name_vi"],
                    "name_en": raw.get("name_en", ""),
                    "short_name": meta.short_name,
                    "level": meta.level,
                    "title": meta.title,
                    "legal_basis": raw.get("legal_basis") or "",
                    "valid_from": meta.valid_from,
                    "valid_to": meta.valid_to,
                    "effective_from": EFFECTIVE[code][0],
                    "effective_source": EFFECTIVE[code][1],
                    "province": [meta.province] if meta.province else None,
                    "prerequisite": [meta.prerequisite] if meta.prerequisite else None,
                    "declared_criteria_count": meta.declared_criteria,
                    "declared_indicator_count": meta.declared_indicators,
                    "verification_summary": "\n".join(
                        v
                        for v in (
                            raw.get("verification_summary"),
                            addendum.get("verification_summary"),
                        )
                        if v
                    ),
                    "sources": _sources(raw.get("sources")),
                    "notes": "\n".join(n for n in notes if n),
                },
            }
        )
        rows += _condition_rows(code)
        for criterion in criteria:
            number = criterion["number"]
            name, press = _split_press_name(criterion["name_vi"])
            rows.append(
                {
                    "model": "criteria.criterion",
                    "fields": {
                        "criteria_set": [code],
                        "number": number,
                        "name": name,
                        "name_en": criterion.get("name_en") or "",
                        "group": _group(criterion.get("group")),
                        "verification": verification_tag(criterion["verification"]),
                        "source": _sources(criterion.get("source")),
                        "note": "\n".join(
                            n
                            for n in (
                                _research_note(criterion.get("note")),
                                press,
                                criterion.get("group_note"),
                                _long_tag(criterion["verification"]),
                            )
                            if n
                        ),
                        "is_placeholder": False,
                    },
                }
            )
            fallback_source = _sources(criterion.get("source")) or _sources(raw.get("sources"))
            for order, indicator in enumerate(criterion.get("indicators") or [], start=1):
                rows += _indicator_rows(
                    code, number, order, indicator, used_thresholds, fallback_source
                )
    missing = set(THRESHOLDS) - used_thresholds
    if missing:
        raise ValueError(f"Curated thresholds for indicators the reference lacks: {missing}")
    return rows


def _hatinh_criteria(raw: dict, national_1980: dict) -> list[dict]:
    """Hà Tĩnh's criteria 1–19 carry the 1980 indicators (names only: the province set its own
    levels, which are not known), plus the province's criterion 20."""
    by_number = {c["number"]: c for c in national_1980["criteria"]}
    result = []
    for criterion in raw["criteria"]:
        criterion = dict(criterion)
        if criterion["number"] == 20:
            criterion["group"] = "Tiêu chí riêng của tỉnh Hà Tĩnh"
        if criterion["number"] in by_number:
            criterion["indicators"] = [
                {
                    "code": i["code"],
                    "name_vi": i["name_vi"],
                    "threshold_text": None,
                    "verification": "INFERRED",
                    "source": None,
                    "note": "Chép từ QĐ 1980/QĐ-TTg; mức đạt của tỉnh chưa tìm thấy.",
                }
                for i in by_number[criterion["number"]]["indicators"]
            ]
        result.append(criterion)
    return result


def _research_note(note: str | None) -> str:
    """Drop notes that only speak about the research files themselves."""
    return "" if not note or "base JSON" in note else note


def _split_press_name(name: str) -> tuple[str, str]:
    """ "Khu dân cư … vườn mẫu (press: 'Khu dân cư mẫu, vườn mẫu')" -> the name, and the
    press wording as a note."""
    match = re.match(r"^(.*?)\s*\(press: (.*)\)$", name)
    if not match:
        return name, ""
    return match.group(1), f"Báo chí gọi là: {match.group(2)}"


def _group(group: str | None) -> str:
    """Keep the Vietnamese label of "II. Hạ tầng kinh tế - xã hội (Socio-economic …)": drop
    English glosses in parentheses and research remarks in brackets (the criterion's note keeps
    the conflict of sources)."""
    if not group:
        return ""
    group = re.sub(r"\s*\([A-Z][a-z][^)]*\)", "", group)
    return re.sub(r"\s*\[[^\]]*\]", "", group).strip()


def _long_tag(text: str | None) -> str:
    """The verification string when it says more than its tag."""
    text = (text or "").strip()
    return text if text and text != verification_tag(text) else ""


def _indicator_rows(set_code, number, order, indicator, used, fallback_source) -> list[dict]:
    code = indicator["code"]
    name = indicator.get("name_vi") or f"Chỉ tiêu {code} (chưa có tên trong văn bản gốc)"
    tag = verification_tag(indicator["verification"])
    kind, unit, comparison = _shape(set_code, code, name, indicator.get("threshold_text"))
    curated = THRESHOLDS.get((set_code, code), [])
    if curated and tag not in VERIFIED_TAGS:
        raise ValueError(f"Threshold curated for unverified indicator {set_code} {code} ({tag})")
    if curated:
        used.add((set_code, code))
    text = (indicator.get("threshold_text") or "").strip()
    reference_note = "" if curated or not text else f"[{indicator['verification']}] {text}"
    if indicator.get("note"):
        reference_note = "\n".join(n for n in (reference_note, indicator["note"]) if n)
    indicator_key = [code, number, set_code]
    rows = [
        {
            "model": "criteria.indicator",
            "fields": {
                "criterion": [number, set_code],
                "code": code,
                "order": order,
                "name": name,
                "unit": unit,
                "kind": kind,
                "comparison": comparison,
                "verification": tag,
                "source": _sources(indicator.get("source")),
                "reference_note": reference_note,
                "is_placeholder": False,
            },
        }
    ]
    for threshold in curated:
        rows.append(
            {
                "model": "criteria.threshold",
                "fields": {
                    "indicator": indicator_key,
                    "scope": threshold.scope,
                    "region": threshold.region,
                    "commune_group": threshold.group,
                    "province": [threshold.province] if threshold.province else None,
                    "year": threshold.year,
                    "value": None if threshold.value is None else str(threshold.value),
                    "value_text": threshold.text,
                    "verification": tag,
                    "source": _sources(indicator.get("source")) or fallback_source,
                    "note": threshold.note,
                },
            }
        )
    return rows


def dump_fixture(rows: list[dict]) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=1) + "\n"
