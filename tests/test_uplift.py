"""Campaign uplift (METHODS §8): a hand fixture for the difference in differences, a plain-Python reference of the
DiD and the bootstrap percentile interval, simulated campaigns with a known effect (overall and with a matched
control), segments, metrics, located errors and the chapter's sentences."""

from __future__ import annotations

import datetime as dt
import math
import statistics

import numpy as np
import polars as pl
import pytest
from chapter_render import methodology, render_partial
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from cjmgen import api
from cjmgen.analyses import uplift
from cjmgen.analyses.base import Context
from cjmgen.analyses.uplift_stats import CHUNK, bootstrap, interval
from cjmgen.errors import UserError
from cjmgen.facts import build_facts

D = dt.date
AS_OF = D(2024, 3, 31)
START, END = D(2024, 3, 1), D(2024, 3, 10)  # 10 days; the before window is 20–29 February (a leap year)
TX = {"customer_id": pl.String, "order_id": pl.String, "date": pl.Datetime("us"), "amount": pl.Float64,
      "store": pl.String}
MEMBERS = {"customer_id": pl.String, "campaign": pl.String, "group": pl.String, "start": pl.Date, "end": pl.Date}

# customer → [(day, amount, store)]: one order a day
HAND = {
    "T1": [("2024-02-25", 100, "A"), ("2024-03-05", 150, "A")],          # +50
    "T2": [("2024-03-02", 60, "B")],                                     # +60
    "T3": [("2024-02-10", 999, "B"), ("2024-02-21", 40, "B"), ("2024-03-08", 40, "B")],  # 0 (10 Feb is outside)
    "K1": [("2024-02-28", 80, "A"), ("2024-03-09", 90, "A")],            # +10
    "K2": [("2024-02-20", 20, "B"), ("2024-03-01", 10, "B")],            # −10
    "K4": [("2024-03-11", 500, "A")],                                    # 0: after the campaign
}
GROUPS = {"T1": "test", "T2": "test", "T3": "Test ", "K1": "control", "K2": "control", "K3": "control", "K4": "control"}


def lines_of(history: dict[str, list]) -> pl.DataFrame:
    rows = [(c, f"{c}-{i}", dt.datetime.fromisoformat(day + " 10:00"), float(a), store)
            for c, orders in history.items() for i, (day, a, store) in enumerate(orders)]
    return pl.DataFrame(rows, schema=TX, orient="row")


def members_of(groups: dict[str, str], campaign: str = "Spring", start: D = START, end: D = END) -> pl.DataFrame:
    return pl.DataFrame([(c, campaign, g, start, end) for c, g in groups.items()], schema=MEMBERS, orient="row")


def run(lines: pl.DataFrame, members: pl.DataFrame, **params) -> uplift.UpliftResult:
    facts = build_facts({"transactions": lines, "campaign_members": members}, AS_OF)
    return uplift.compute(Context(None, facts), uplift.Params(**params))


# ===================================================================== 1. hand fixture

@pytest.fixture(scope="module")
def hand():
    return run(lines_of(HAND), members_of(GROUPS), cost={"Spring": 50}, bootstrap=200)


def test_hand_did(hand):
    row = hand.table.row(0, named=True)
    assert (row["campaign"], row["segment"], row["test_members"], row["control_members"]) == ("Spring", "all", 3, 4)
    assert row["test_before"] == pytest.approx(140 / 3) and row["test_during"] == pytest.approx(250 / 3)
    assert row["control_before"] == pytest.approx(25) and row["control_during"] == pytest.approx(25)
    assert row["uplift_per_member"] == pytest.approx(110 / 3)
    assert row["incremental"] == pytest.approx(110)
    assert row["cost"] == 50 and row["roi"] == pytest.approx((110 - 50) / 50)
    assert row["uplift_low"] <= row["uplift_per_member"] <= row["uplift_high"]
    assert row["incremental_low"] == pytest.approx(row["uplift_low"] * 3)
    assert hand.table.columns == list(uplift.TABLE_SCHEMA)
    c = hand.campaigns[0]
    assert (c.days, c.before_days, c.before_start, c.matched, c.truncated) == (10, 10, D(2024, 2, 20), False, False)
    assert not hand.margin_basis and hand.lead is c


def test_hand_welch_p_value(hand):
    a, b = [50.0, 60.0, 0.0], [10.0, -10.0, 0.0, 0.0]
    va, vb = statistics.variance(a) / 3, statistics.variance(b) / 4
    t = (statistics.mean(a) - statistics.mean(b)) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va ** 2 / 2 + vb ** 2 / 3)
    assert hand.campaigns[0].p_value == pytest.approx(2 * stats.t.sf(abs(t), df))


def test_hand_balance(hand):
    frame = hand.balance.filter(pl.col("feature") == "frequency")
    # orders before 1 March: T1 1, T2 0, T3 2 | K1 1, K2 1, K3 0, K4 0
    t, k = [1.0, 0.0, 2.0], [1.0, 1.0, 0.0, 0.0]
    expected = (statistics.mean(t) - statistics.mean(k)) / math.sqrt((statistics.variance(t) + statistics.variance(k)) / 2)
    assert frame["smd"][0] == pytest.approx(expected)
    assert frame["test_mean"][0] == pytest.approx(1.0) and frame["control_mean"][0] == pytest.approx(0.5)
    assert "frequency" in hand.campaigns[0].unbalanced


def test_hand_orders_and_avg_check():
    orders = run(lines_of(HAND), members_of(GROUPS), metric="orders", bootstrap=100).table.row(0, named=True)
    assert (orders["test_before"], orders["test_during"]) == (pytest.approx(2 / 3), pytest.approx(1.0))
    assert (orders["control_before"], orders["control_during"]) == (pytest.approx(0.5), pytest.approx(0.5))
    assert orders["uplift_per_member"] == pytest.approx(1 / 3) and orders["incremental"] == pytest.approx(1.0)
    check = run(lines_of(HAND), members_of(GROUPS), metric="avg_check", bootstrap=100).table.row(0, named=True)
    assert check["test_before"] == pytest.approx(70) and check["test_during"] == pytest.approx(250 / 3)
    assert check["control_before"] == pytest.approx(50) and check["control_during"] == pytest.approx(50)
    assert check["uplift_per_member"] == pytest.approx(250 / 3 - 70)
    assert check["incremental"] is None


def test_longer_before_window_is_scaled():
    row = run(lines_of(HAND), members_of(GROUPS), before_days=20, bootstrap=100).table.row(0, named=True)
    # 20 days before: T3's 999 on 10 February counts; totals × 10/20
    assert row["test_before"] == pytest.approx((100 + 999 + 40) / 3 / 2)


STORES = HAND | {"T5": [("2024-02-22", 30, "A"), ("2024-03-03", 50, "A")], "T6": [("2024-02-24", 10, "B")],
                 "K5": [("2024-02-23", 10, "B"), ("2024-03-04", 40, "B")], "K6": [("2024-02-26", 5, "A")]}
STORE_GROUPS = GROUPS | {"T5": "test", "T6": "test", "K5": "control", "K6": "control"}


def test_segments_by_store():
    result = run(lines_of(STORES), members_of(STORE_GROUPS), by="store", bootstrap=100)
    rows = {r["segment"]: r for r in result.table.iter_rows(named=True)}
    # the store of the last order before the start: A: T1 +50, T5 +20 | K1 +10, K6 −5; B: T3 0, T6 −10 | K2 −10,
    # K5 +30; T2, K3, K4 have none
    assert list(rows) == ["all", "A", "B"]
    assert rows["A"]["uplift_per_member"] == pytest.approx(35 - 2.5)
    assert rows["B"]["uplift_per_member"] == pytest.approx(-5 - 10)
    assert (rows["A"]["test_members"], rows["A"]["control_members"]) == (2, 2)
    assert rows["A"]["cost"] is None and rows["A"]["roi"] is None
    assert result.segments["segment"].to_list() == ["A", "B"]


def test_segments_by_rfm_use_the_pre_period():
    result = run(lines_of(STORES), members_of(STORE_GROUPS), by="rfm", bootstrap=100)
    assert result.table["segment"][0] == "all" and result.by == "rfm"
    assert all(s.startswith("R") for s in result.segments["segment"].to_list())


def test_responders_lookalikes_for_the_next_wave(hand):
    # responders: T1 (150 > 100) and T2 (60 > 0), not T3 (40 = 40); N1 and N2 buy exactly as T1 and T2 did
    others = {"N1": HAND["T1"], "N2": HAND["T2"], "N3": [("2023-06-01", 5000, "A")]}
    result = run(lines_of(HAND | others), members_of(GROUPS), bootstrap=100)
    found = result.lookalikes["Spring"]
    assert found.select("customer_id", "responder").rows() == [("N1", "T1"), ("N2", "T2")]
    assert found.columns == ["customer_id", "recency_days", "frequency", "monetary", "responder"]
    assert set(result.customer_lists()) == {"uplift_lookalikes_Spring"}
    assert hand.customer_lists() == {}  # every customer is a member: nobody to suggest


# ===================================================================== 2. plain-Python reference

def reference_interval(test: list[tuple[float, float]], control: list[tuple[float, float]], replicates: int,
                       seed: int, confidence: float) -> tuple[float, float, float]:
    """DiD of per-member (before, during) and its percentile interval, drawing the same indices as the module."""
    def change(group, index):
        return sum(group[i][1] for i in index) / len(index) - sum(group[i][0] for i in index) / len(index)

    point = change(test, range(len(test))) - change(control, range(len(control)))
    rng = np.random.default_rng(seed)
    values = []
    for start in range(0, replicates, CHUNK):
        k = min(CHUNK, replicates - start)
        t_draws = rng.integers(0, len(test), (k, len(test))).tolist()
        c_draws = rng.integers(0, len(control), (k, len(control))).tolist()
        values += [change(test, t) - change(control, c) for t, c in zip(t_draws, c_draws, strict=True)]
    values.sort()

    def quantile(q):
        pos = q * (len(values) - 1)
        lo = math.floor(pos)
        hi = min(lo + 1, len(values) - 1)
        return values[lo] + (values[hi] - values[lo]) * (pos - lo)

    tail = (1 - confidence) / 2
    return point, quantile(tail), quantile(1 - tail)


money = st.integers(0, 50).map(float)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(money, money), min_size=2, max_size=6), st.lists(st.tuples(money, money), min_size=2,
       max_size=6), st.integers(0, 5), st.sampled_from([0.8, 0.95]))
def test_did_and_interval_against_plain_python(test, control, seed, confidence):
    history, groups = {"Z": [("2024-01-05", 1.0, "A")]}, {}  # a non-member: the log is never empty
    for prefix, group, members in (("T", "test", test), ("K", "control", control)):
        for i, (before, during) in enumerate(members):
            cid = f"{prefix}{i}"
            groups[cid] = group
            history[cid] = [(day, amount, "A") for day, amount in (("2024-02-25", before), ("2024-03-05", during))
                            if amount]
    result = run(lines_of(history), members_of(groups), bootstrap=300, seed=seed, confidence=confidence)
    row = result.table.row(0, named=True)
    point, low, high = reference_interval(test, control, 300, seed, confidence)
    assert row["uplift_per_member"] == pytest.approx(point, abs=1e-9)
    assert row["uplift_low"] == pytest.approx(low, abs=1e-9) and row["uplift_high"] == pytest.approx(high, abs=1e-9)


def test_bootstrap_draws_do_not_depend_on_the_total():
    test = np.array([[1.0, 1, 2, 1], [3, 1, 7, 1], [0, 1, 5, 1]])
    control = np.array([[2.0, 1, 2, 1], [4, 1, 1, 1]])
    assert np.array_equal(bootstrap(test, control, CHUNK + 10, 3)[:CHUNK], bootstrap(test, control, CHUNK, 3))
    assert interval(np.array([np.nan, 1.0, 2.0, 3.0]), 0.5) == (1.5, 2.5)


# ===================================================================== 3. simulated campaigns

def simulate(seed: int, effect: float, n: int = 250, control: bool = True) -> tuple[pl.DataFrame, pl.DataFrame]:
    """2n customers buying ~every 10 days for 3 months; each test member also spends `effect` on average during the
    campaign (an extra order of uniform(0, 2·effect))."""
    rng = np.random.default_rng(seed)
    ids = np.repeat(np.arange(2 * n), 91)
    days = np.tile(np.arange(91), 2 * n)
    base = rng.gamma(2.0, 10.0, 2 * n)[ids]
    keep = rng.random(ids.size) < 0.1
    ids, days, amounts = ids[keep], days[keep], (base[keep] * rng.lognormal(0, 0.3, keep.sum())).round(2)
    extra_ids = np.arange(n)
    extra_days = 60 + rng.integers(0, 10, n)  # 1–10 March
    ids = np.concatenate([ids, extra_ids])
    days = np.concatenate([days, extra_days])
    amounts = np.concatenate([amounts, (rng.random(n) * 2 * effect).round(2)])
    first = dt.datetime(2024, 1, 1, 10)
    lines = pl.DataFrame({"customer_id": [f"C{i:04d}" for i in ids], "order_id": [f"O{j}" for j in range(ids.size)],
                          "date": [first + dt.timedelta(days=int(d)) for d in days], "amount": amounts,
                          "store": ["A"] * ids.size}, schema=TX)
    groups = {f"C{i:04d}": "test" if i < n else "control" for i in range(2 * n if control else n)}
    return lines, members_of(groups)


def test_interval_covers_a_known_effect_for_most_seeds():
    covered = 0
    for seed in range(5):
        c = run(*simulate(seed, effect=8.0), bootstrap=400).campaigns[0]
        covered += c.low <= 8.0 <= c.high
    assert covered >= 4


def test_matched_control_recovers_the_effect_and_says_so():
    covered = 0
    for seed in range(3):
        result = run(*simulate(seed, effect=8.0, control=False), bootstrap=400)
        c = result.campaigns[0]
        assert c.matched and result.any_matched and c.control_members <= c.test_members
        assert all(abs(b.smd) < 0.1 for b in c.balance if b.smd is not None)
        covered += c.low <= 8.0 <= c.high
    assert covered >= 2
    assert "observational" in render_partial("_uplift.html", result, charts={"weekly_0": ""})


def test_weekly_series_and_row_order_irrelevant():
    lines, members = simulate(1, effect=8.0, n=60)
    result = run(lines, members, bootstrap=200)
    again = run(lines.sample(fraction=1.0, shuffle=True, seed=3), members.reverse(), bootstrap=200)
    assert result.table.equals(again.table) and result.weekly.equals(again.weekly)
    weeks = result.weekly.filter(pl.col("group") == "test")["week"].to_list()
    assert START in weeks and weeks == sorted(weeks)


# ===================================================================== 4. errors and validate

def test_member_errors_are_located():
    with pytest.raises(UserError, match=r"group: expected test or control, got 'holdout'"):
        run(lines_of(HAND), members_of({"T1": "test", "K1": "holdout"}))
    with pytest.raises(UserError, match=r"customer 'T1' is in both groups of campaign 'Spring'"):
        run(lines_of(HAND), pl.concat([members_of({"T1": "test", "T2": "test"}), members_of({"T1": "control"})]))
    with pytest.raises(UserError, match=r"analyses\.uplift\.cost\.Autumn: no campaign 'Autumn'; campaigns: Spring"):
        run(lines_of(HAND), members_of(GROUPS), cost={"Autumn": 10})
    with pytest.raises(UserError, match=r"analyses\.uplift\.campaigns\.0: no campaign 'X'"):
        run(lines_of(HAND), members_of(GROUPS), campaigns=["X"])
    with pytest.raises(UserError, match=r"starts on 2024-05-01, after the analysis date 2024-03-31"):
        run(lines_of(HAND), members_of(GROUPS, start=D(2024, 5, 1), end=D(2024, 5, 9)))


def test_campaign_past_the_analysis_date_is_cut():
    result = run(lines_of(HAND), members_of(GROUPS, end=D(2024, 4, 30)), bootstrap=100)
    c = result.campaigns[0]
    assert c.truncated and c.end == AS_OF and c.days == 31


def test_uplift_without_a_campaign_members_source_is_a_located_error(project):
    spec = project("""\
        project: {title: T, client: C}
        sources:
          transactions: {path: data/t.csv}
        analyses:
          uplift: {metric: revenue}
        """, {"data/t.csv": "customer_id,order_id,date,amount\n1,A,2024-01-01,5\n"})
    with pytest.raises(UserError) as caught:
        api.validate(spec)
    assert [str(p).split("project.yaml:")[1] for p in caught.value.problems] == [
        "5:11: analyses.uplift: uplift needs a campaign_members source (customer_id, campaign, group); the spec has no "
        "sources.campaign_members"]


@pytest.mark.parametrize(("params", "message"), [
    ({"metric": "margin"}, "Input should be 'revenue', 'orders' or 'avg_check'"),
    ({"confidence": 1.5}, "less than 1"),
    ({"bootstrap": 10}, "greater than or equal to 100"),
])
def test_params_are_checked(params, message):
    with pytest.raises(ValueError, match=message):
        uplift.Params(**params)


# ===================================================================== 5. words and charts

def test_headline_chapter_and_methodology(hand):
    headline = render_partial("_headline_uplift.html", hand)
    assert headline.startswith("Campaign “Spring” showed no clear effect on revenue per member: +€36.67 (95% CI −€")
    assert headline.endswith("ROI 1.2")
    clear = run(*simulate(0, effect=40.0, n=100), bootstrap=200, cost={"Spring": 1000})
    assert clear.lead.excludes_zero
    assert render_partial("_headline_uplift.html", clear).startswith("Campaign “Spring” brought +€")
    assert render_partial("_headline_uplift.html", clear, "ru").startswith("Кампания «Spring» принесла +")
    text = render_partial("_uplift.html", hand, charts={"weekly_0": ""})
    assert "The test group has 3 members; the control group has 4." in text
    assert "The estimate is +€36.67 of revenue per member (95% CI −€" in text and "The interval includes zero" in text
    assert "computed on revenue, not margin" in text and "differ (standardized mean difference above 0.1)" in text
    ru = render_partial("_uplift.html", hand, "ru", charts={"weekly_0": ""})
    assert "Кампания «Spring»" in ru
    assert "разность разностей" in methodology("uplift", uplift.Params(), "ru")
    assert "Welch" in methodology("uplift", uplift.Params(by="rfm"))


def test_charts_in_the_report_language(hand):
    from cjmgen.charts import uplift as chart
    from cjmgen.charts.theme import Theme

    assert set(chart.charts(hand, Theme("en", "EUR"))) == {"weekly_0"}
    by = run(lines_of(STORES), members_of(STORE_GROUPS), by="store", bootstrap=100)
    out = chart.charts(by, Theme("ru", "RUB"))
    assert set(out) == {"weekly_0", "forest"}
    text = str(out["weekly_0"].to_dict())
    assert "Тестовая группа" in text and "₽" in text
    assert "Все участники" in str(out["forest"].to_dict())
