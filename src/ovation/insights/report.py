"""Presentation of the dashboard numbers: the tables (HTML and CSV share these rows), the
chart JSON read by static/insights/dashboard.js, and the headline tiles. No queries here."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from . import stats
from .selectors import Filters, Table


def pct(x: float | None, digits: int = 1) -> str:
    return "—" if x is None else f"{100 * x:.{digits}f}%"


def pct_ci(e: stats.Estimate, digits: int = 1) -> str:
    if e.value is None:
        return "—"
    if e.low is None:
        return pct(e.value, digits)
    return f"{pct(e.value, digits)} ({pct(e.low, digits)}–{pct(e.high, digits)})"


def pts_ci(e: stats.Estimate) -> str:
    """A difference of proportions in percentage points."""
    if e.value is None:
        return "—"
    return f"{100 * e.value:+.1f} pts ({100 * e.low:+.1f} to {100 * e.high:+.1f})"


def money(x) -> str:
    if x is None:
        return "—"
    x = float(x)
    sign = "-" if x < 0 else ""
    x = abs(x)
    if x >= 1_000_000:
        return f"{sign}${x / 1_000_000:.1f}M"
    if x >= 10_000:
        return f"{sign}${x / 1000:.0f}k"
    return f"{sign}${x:,.0f}"


def money_ci(e: stats.Estimate) -> str:
    if e.value is None:
        return "—"
    if e.low is None:
        return money(e.value)
    return f"{money(e.value)} ({money(e.low)} to {money(e.high)})"


def times_ci(e: stats.Estimate) -> str:
    if e.value is None:
        return "—"
    return f"{e.value:.2f}× ({e.low:.2f}×–{e.high:.2f}×)"


def rows_url(metric: str, f: Filters, **extra) -> str:
    return f"{reverse('insights:rows', args=[metric])}?{f.query(**extra)}"


def tables(data: dict) -> dict[str, Table]:
    f: Filters = data["filters"]
    adv, mon, ref, ret, val, mot = (
        data["advocacy"],
        data["monthly"],
        data["references"],
        data["retention"],
        data["value"],
        data["motivation"],
    )
    out: dict[str, Table] = {}

    t = Table(
        "funnel", "Engagement funnel", ["Step", "Contacts", "% of customers", "Step conversion"]
    )
    prev = None
    for label, n, metric in adv["funnel"]:
        t.rows.append(
            [
                label,
                n,
                pct(stats.rate(n, adv["contacts"])),
                # the steps are not strictly nested (an advocate need not use the hub)
                pct(stats.rate(n, prev)) if prev and n <= prev else "",
            ]
        )
        t.links.append(rows_url(metric, f))
        prev = n
    out["funnel"] = t

    t = Table(
        "nps",
        "NPS by month",
        ["Month", "Responses", "Promoters", "Passives", "Detractors", "NPS", "95% interval"],
    )
    for m, e, r in mon["trend"]:
        t.rows.append(
            [
                m.strftime("%b %Y"),
                r.get("responses") or 0,
                r.get("promoters") or 0,
                r.get("passives") or 0,
                r.get("detractors") or 0,
                "—" if e.value is None else f"{e.value:.0f}",
                "—" if e.value is None else f"{e.low:.0f} to {e.high:.0f}",
            ]
        )
        t.links.append(rows_url("nps", f, month=m.isoformat()))
    out["nps"] = t

    t = Table("references", "References", ["Measure", "Value", "Detail"])
    lift = ref["lift"]
    t.rows += [
        ["Reference requests", ref["requests"], f"{ref['fulfilled']} fulfilled"],
        [
            "Median time to fulfil",
            "—" if ref["median_days"] is None else f"{ref['median_days']} days",
            "",
        ],
        [
            "Influenced pipeline",
            money(ref["influenced"]),
            f"{ref['referenced_opps']} opportunities",
        ],
        ["Won revenue with a reference", money(ref["won_revenue"]), ""],
        ["Win rate with a reference", pct_ci(ref["with"]), f"{ref['with'].n} closed"],
        ["Win rate without", pct_ci(ref["without"]), f"{ref['without'].n} closed"],
        [
            "Reference lift (matched)",
            pts_ci(lift.estimate),
            f"{lift.matched_treated} referenced deals matched to {lift.controls_used} "
            f"comparable ones; {lift.unmatched_treated} without a match",
        ],
    ]
    t.links += [
        rows_url("requests", f),
        rows_url("requests", f, fulfilled=1),
        rows_url("opportunities", f, referenced=1),
        rows_url("opportunities", f, referenced=1, outcome="won"),
        rows_url("opportunities", f, referenced=1),
        rows_url("opportunities", f, referenced=0),
        rows_url("opportunities", f),
    ]
    out["references"] = t

    t = Table(
        "lift",
        "Reference lift by stratum",
        ["Stratum", "Referenced", "Won", "Comparable", "Won", "Difference"],
    )
    for s in lift.strata:
        key = s["stratum"]
        level, *parts = key
        label = " · ".join(str(p) for p in parts)
        p1 = s["referenced_won"] / s["referenced"]
        p0 = s["others_won"] / s["others"]
        t.rows.append(
            [
                label + ("" if level == 3 else " (size only)"),
                s["referenced"],
                s["referenced_won"],
                s["others"],
                s["others_won"],
                f"{100 * (p1 - p0):+.1f} pts",
            ]
        )
        t.links.append(None)
    out["lift"] = t

    tot = mon["totals"]
    t = Table("referrals", "Referral funnel", ["Step", "Count", "Conversion"])
    steps = [
        ("Link clicks", tot["clicks"], None),
        ("Leads", tot["leads"], "referrals"),
        ("Qualified", tot["qualified"], "referrals"),
        ("Won", tot["won"], "referrals"),
    ]
    prev = None
    for label, n, metric in steps:
        t.rows.append([label, n, pct(stats.rate(n, prev)) if prev else ""])
        extra = {"status": "won"} if label == "Won" else {}
        t.links.append(rows_url(metric, f, **extra) if metric else None)
        prev = n
    t.rows.append(["Referred revenue", money(tot["revenue"]), ""])
    t.links.append(rows_url("referrals", f, status="won"))
    out["referrals"] = t

    t = Table(
        "retention",
        "Retention: referred vs other accounts",
        ["Group", "Accounts", "Churned", "12-month retention", "24-month retention"],
    )
    for label, curve, flag in (
        ("Referred", ret["referred"], 1),
        ("Not referred", ret["others"], 0),
    ):
        row = [label, curve.n, curve.events]
        for h in ret["horizons"]:
            key = "referred" if flag else "others"
            lo, hi = h[f"{key}_band"]
            row.append("—" if h[key] is None else f"{pct(h[key])} ({pct(lo)}–{pct(hi)})")
        t.rows.append(row)
        t.links.append(rows_url("accounts", f, referred=flag))
    out["retention"] = t

    eff = ret["effect"]
    t = Table(
        "referrer_effect",
        "Referee churn while vs after their referrer churned",
        ["Period", "Churned referees", "Account-years", "Churn per account-year"],
    )
    t.rows += [
        [
            "Referrer still a customer",
            eff.events_while,
            f"{eff.years_while:.1f}",
            pct(eff.rate_while),
        ],
        [
            "After the referrer churned",
            eff.events_after,
            f"{eff.years_after:.1f}",
            pct(eff.rate_after),
        ],
    ]
    t.links += [
        rows_url("accounts", f, referred=1),
        rows_url("accounts", f, referred=1, referrer_churned=1),
    ]
    out["referrer_effect"] = t

    adv_v, oth_v = val["advocate"], val["other"]
    t = Table(
        "value",
        "Advocate accounts vs the others",
        ["Measure", "Advocate accounts", "Other accounts", "Difference"],
    )
    t.rows += [
        ["Accounts", adv_v["n"], oth_v["n"], ""],
        [
            "Average ARR",
            money_ci(val["arr_advocate"]),
            money_ci(val["arr_other"]),
            times_ci(val["arr_ratio"]),
        ],
        [
            "12-month expansion (ARR)",
            money_ci(val["expansion_advocate"]),
            money_ci(val["expansion_other"]),
            money_ci(val["expansion_diff"]),
        ],
        [
            "Renewal rate",
            pct_ci(adv_v["renewal"]),
            pct_ci(oth_v["renewal"]),
            pts_ci(val["renewal_diff"]),
        ],
    ]
    t.links += [
        rows_url("accounts", f),
        rows_url("accounts", f, advocate=1),
        rows_url("accounts", f, advocate=1),
        rows_url("accounts", f, status="churned"),
    ]
    out["value"] = t

    t = Table(
        "motivation",
        "Acceptance by ask type × motivator"
        if mot["source"] == "motivation"
        else "Acceptance by ask channel × type",
        ["Ask type" if mot["source"] == "motivation" else "Channel", *mot["cols"]],
    )
    for r, cells in zip(mot["rows"], mot["matrix"], strict=True):
        t.rows.append(
            [r if mot["source"] == "motivation" else r.replace("_", " ").capitalize()]
            + ["" if e is None else f"{pct(e.value, 0)} of {e.n}" for e in cells]
        )
        t.links.append(None)
    out["motivation"] = t
    return out


def headline(data: dict) -> list[dict]:
    adv, mon, ref, ret, val = (
        data["advocacy"],
        data["monthly"],
        data["references"],
        data["retention"],
        data["value"],
    )
    f = data["filters"]
    nps = mon["nps"]
    twelve = ret["horizons"][0]
    retention_delta = (
        None
        if twelve["referred"] is None or twelve["others"] is None
        else twelve["referred"] - twelve["others"]
    )
    return [
        {
            "label": "Advocacy rate (contacts)",
            "value": pct(adv["contact_rate"].value),
            "hint": f"{adv['advocates']:,} of {adv['contacts']:,} contacts; accounts {pct(adv['account_rate'].value)}",
            "url": rows_url("advocates", f),
        },
        {
            "label": "NPS",
            "value": "—" if nps.value is None else f"{nps.value:+.0f}",
            "hint": "no answers"
            if nps.value is None
            else f"±{(nps.high - nps.low) / 2:.0f} · {nps.n:,} answers",
            "url": rows_url("nps", f),
        },
        {
            "label": "Advocate accounts' ARR",
            "value": "—" if val["arr_ratio"].value is None else f"{val['arr_ratio'].value:.1f}×",
            "hint": "vs other accounts"
            + (
                ""
                if val["arr_ratio"].value is None
                else f" ({val['arr_ratio'].low:.1f}–{val['arr_ratio'].high:.1f}×)"
            ),
            "url": rows_url("accounts", f, advocate=1),
        },
        {
            "label": "Reference lift on win rate",
            "value": "—"
            if ref["lift"].estimate.value is None
            else f"{100 * ref['lift'].estimate.value:+.0f} pts",
            "hint": "matched on size, industry, stage"
            if ref["lift"].estimate.value is None
            else f"95% CI {100 * ref['lift'].estimate.low:+.0f} to {100 * ref['lift'].estimate.high:+.0f}",
            "url": rows_url("opportunities", f, referenced=1),
        },
        {
            "label": "Referred revenue",
            "value": money(mon["totals"]["revenue"]),
            "hint": f"{mon['totals']['won']:,} won referrals",
            "url": rows_url("referrals", f, status="won"),
        },
        {
            "label": "12-month retention, referred",
            "value": pct(twelve["referred"], 0),
            "hint": "no referred accounts"
            if retention_delta is None
            else f"{100 * retention_delta:+.0f} pts vs others"
            + ("" if ret["test"].p_value is None else f" · log-rank p={ret['test'].p_value:.3f}"),
            "url": rows_url("accounts", f, referred=1),
        },
    ]


def _curve(curve: stats.Survival) -> dict:
    # A step curve starting at (0, 1); thinned to <= 400 points for the browser.
    times, s, lo, hi = (
        [0.0, *curve.times],
        [1.0, *curve.survival],
        [1.0, *curve.low],
        [1.0, *curve.high],
    )
    step = max(1, len(times) // 400)
    idx = list(range(0, len(times), step))
    if idx[-1] != len(times) - 1:
        idx.append(len(times) - 1)
    return {
        "t": [round(times[i], 2) for i in idx],
        "s": [round(s[i], 4) for i in idx],
        "lo": [round(lo[i], 4) for i in idx],
        "hi": [round(hi[i], 4) for i in idx],
        "n": curve.n,
    }


def chart_data(data: dict) -> dict:
    mon, adv, ret, ref, val = (
        data["monthly"],
        data["advocacy"],
        data["retention"],
        data["references"],
        data["value"],
    )
    trend = data["advocacy_trend"]
    return {
        "nps": {
            "labels": [m.strftime("%b %y") for m, _, _ in mon["trend"]],
            "nps": [None if e.value is None else round(e.value, 1) for _, e, _ in mon["trend"]],
            "low": [None if e.low is None else round(e.low, 1) for _, e, _ in mon["trend"]],
            "high": [None if e.high is None else round(e.high, 1) for _, e, _ in mon["trend"]],
        },
        "advocacy": None
        if trend is None
        else {
            "labels": [m.strftime("%b %y") for m, _, _ in trend],
            "contacts": [None if c is None else round(100 * c, 1) for _, c, _ in trend],
            "accounts": [None if a is None else round(100 * a, 1) for _, _, a in trend],
        },
        "funnel": {
            "labels": [label for label, _, _ in adv["funnel"]],
            "values": [n for _, n, _ in adv["funnel"]],
        },
        "survival": {"referred": _curve(ret["referred"]), "others": _curve(ret["others"])},
        "winrate": {
            "labels": ["With a reference", "Without", "Matched comparison"],
            "values": [
                None if ref["with"].value is None else round(100 * ref["with"].value, 1),
                None if ref["without"].value is None else round(100 * ref["without"].value, 1),
                None
                if ref["lift"].control_win_rate is None
                else round(100 * ref["lift"].control_win_rate, 1),
            ],
        },
        "referrals": {
            "labels": [m.strftime("%b %y") for m, _, _ in mon["trend"]],
            "clicks": [r.get("clicks") or 0 for _, _, r in mon["trend"]],
            "leads": [r.get("leads") or 0 for _, _, r in mon["trend"]],
            "won": [r.get("won") or 0 for _, _, r in mon["trend"]],
        },
        "value": {
            "labels": ["Average ARR", "12-month expansion"],
            "advocate": [
                _num(val["arr_advocate"].value),
                _num(val["expansion_advocate"].value),
            ],
            "other": [_num(val["arr_other"].value), _num(val["expansion_other"].value)],
        },
    }


def _num(x) -> float | None:
    if x is None:
        return None
    return round(float(x) if not isinstance(x, Decimal) else float(x), 0)
