"""A dashboard as JSON: every figure is read from the reports.dashboard.Dashboard the page
renders (built by the same province_dashboard / district_dashboard), never computed again
here. Only its shape changes: plain dicts of codes, numbers and ISO dates."""

from reports.dashboard import Dashboard, Headline, TrendPoint


def _headline(h: Headline) -> dict:
    return {
        "communes": h.communes,
        "rural_communes": h.rural_communes,
        "ntm": h.ntm,
        "ntmnc": h.ntmnc,
        "model": h.model,
        "unrecognised": h.unrecognised,
        "villages_ntm": h.villages_ntm,
        "villages_model": h.villages_model,
    }


def _trend(point: TrendPoint) -> dict:
    return {
        "year": point.year,
        "assessed": point.assessed,
        "average_met": round(point.average, 2),
        "fewest_met": point.fewest,
        "most_met": point.most,
        "all_met": point.all_met,
    }


def _row(row) -> dict:
    a = row.assessment
    return {
        "code": row.commune.code,
        "name": row.commune.name,
        "kind": row.commune.kind,
        "assessment": None
        if a is None
        else {
            "id": a.pk,
            "assessed_on": a.assessed_on.isoformat(),
            "status": a.status,
            "criteria_met": a.criteria_met,
            "criteria_total": a.criteria_total,
        },
        # One status per criterion of ``criteria``, in that order.
        "results": list(row.cells),
        "criteria_met": row.met_count if a is not None else None,
        "recognitions": [
            {"title": r.title, "decided_on": r.decided_on.isoformat()} for r in row.recognitions
        ],
        "target": None
        if row.target is None
        else {"title": row.target.title, "planned_year": row.target.planned_year},
        "target_state": row.target_state,
    }


def dashboard_data(board: Dashboard) -> dict:
    unit = board.unit
    chosen = board.criteria_set
    data = {
        "area": {
            "level": "province" if board.is_province else "district",
            "code": unit.code,
            "name": unit.name,
            "province": board.province.code,
        },
        "as_of": board.as_of.isoformat(),
        "kind": board.kind or None,
        "criteria_set": chosen.code if chosen else None,
        "sets": [
            {"code": s.code, "communes_assessed": s.commune_count, "criteria": s.criteria_count}
            for s in board.sets
        ],
        "headline": _headline(board.headline),
        "criteria": [{"number": c.number, "name": c.name} for c in board.criteria],
        "hardest_criteria": [
            {"criterion": s.criterion.number, "met": s.met, "assessed": s.assessed}
            for s in board.hardest
        ],
        "met_distribution": [{"met": n, "communes": k} for n, k in board.distribution],
        "closest_to_recognition": [row.commune.code for row in board.closest],
        "regressions": [
            {"commune": r.row.commune.code, "title": r.recognition.title} for r in board.regressions
        ],
        "trend": [_trend(p) for p in board.trend],
        "communes": [_row(row) for row in board.rows],
    }
    if board.is_province:
        data["districts"] = [
            {
                "code": d.district.code,
                "name": d.district.name,
                "headline": _headline(d.headline),
                "assessed": d.assessed,
                "average_met": None if d.average_met is None else round(d.average_met, 2),
            }
            for d in board.districts
        ]
    return data
