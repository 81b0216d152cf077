"""Customer clusters (METHODS §6), checked three ways.

1. A hand fixture with two obviously separate groups of customers (four big, frequent, recent buyers of
   categories A and B; four small one-order buyers of C long ago): k = 2 must put each group in one cluster, and
   every profile mean is recomputed in plain Python from the fixture's rows.
2. Silhouette picks the true k on a three-group fixture.
3. Properties (hypothesis): clusters partition the customers, the same seed gives the same clusters, and the row
   order of the input lines does not change the clustering.

Reading of METHODS used here: average days between orders = (last day − first day) / (orders − 1), null for a
one-order customer (imputed with the median for fitting, left out of the profile mean); lines per order = lines of
the customer's orders / orders; category share = the category's purchased lines / the customer's purchased lines.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics

import polars as pl
import pytest
from chapter_render import methodology, render_partial
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cjmgen import api
from cjmgen.analyses import clusters
from cjmgen.analyses.base import Context
from cjmgen.analyses.clusters_features import TX_FEATURES
from cjmgen.errors import UserError
from cjmgen.facts import build_facts

D = dt.date
AS_OF = D(2024, 3, 31)
SCHEMA = {"customer_id": pl.String, "order_id": pl.String, "date": pl.Datetime("us"), "amount": pl.Float64,
          "category": pl.String}

# customer → [(day, [(amount, category), …]), …]: one order per day
BIG = {
    "B1": [("2024-03-01", [(600, "A"), (400, "B")]), ("2024-03-11", [(500, "A"), (500, "B")]),
           ("2024-03-21", [(700, "A"), (300, "A")])],
    "B2": [("2024-02-20", [(800, "A"), (400, "B")]), ("2024-03-05", [(500, "B"), (600, "B")]),
           ("2024-03-25", [(900, "A"), (300, "B")])],
    "B3": [("2024-03-10", [(1000, "A"), (200, "B")]), ("2024-03-20", [(600, "A"), (600, "B")]),
           ("2024-03-30", [(500, "A"), (500, "B")])],
    "B4": [("2024-02-25", [(700, "B"), (700, "B")]), ("2024-03-15", [(800, "A"), (200, "B")]),
           ("2024-03-28", [(600, "A"), (400, "A")])],
}
SMALL = {
    "S1": [("2023-06-01", [(50, "C")])], "S2": [("2023-05-15", [(40, "C")])],
    "S3": [("2023-07-01", [(60, "C")])], "S4": [("2023-06-20", [(45, "C")])],
}
HAND = BIG | SMALL


def lines_of(history: dict[str, list]) -> pl.DataFrame:
    rows = [(c, f"{c}-{i}", dt.datetime.fromisoformat(day + " 10:00"), float(a), cat)
            for c, orders in history.items() for i, (day, items) in enumerate(orders) for a, cat in items]
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


def run(lines: pl.DataFrame, **params) -> clusters.ClustersResult:
    return clusters.compute(Context(None, build_facts({"transactions": lines}, AS_OF)), clusters.Params(**params))


# ===================================================================== 1. hand fixture

@pytest.fixture(scope="module")
def hand():
    return run(lines_of(HAND), k=2, names=[{"highest": "avg_check", "name": "Big baskets", "job": "stock up monthly"}])


def test_hand_groups_are_the_clusters(hand):
    got = dict(hand.customers.select("customer_id", "cluster").iter_rows())
    # both clusters hold 4 customers: the one of the first customer by id (B1) is number 1
    assert got == {"B1": 1, "B2": 1, "B3": 1, "B4": 1, "S1": 2, "S2": 2, "S3": 2, "S4": 2}
    assert hand.k == 2 and not hand.k_chosen and hand.silhouette is None
    assert hand.customers.columns[:3] == ["customer_id", "cluster", "name"]


def test_hand_names_and_lists(hand):
    assert [(c.cluster, c.name, c.given, c.job) for c in hand.clusters] == [
        (1, "Big baskets", True, "stock up monthly"), (2, "Cluster 2", False, None)]
    assert hand.profile["name"].to_list() == ["Big baskets", "Cluster 2"]
    lists = hand.customer_lists()
    assert sorted(lists) == ["cluster_2", "cluster_Big baskets"]
    assert lists["cluster_Big baskets"]["customer_id"].to_list() == ["B1", "B2", "B3", "B4"]
    assert lists["cluster_2"]["customer_id"].to_list() == ["S1", "S2", "S3", "S4"]


def reference_features(history: dict[str, list]) -> dict[str, dict[str, float | None]]:
    """Plain Python: every feature of every customer, from the rows."""
    out = {}
    for c, orders in history.items():
        days = sorted(D.fromisoformat(day) for day, _ in orders)
        revenue = sum(a for _, items in orders for a, _ in items)
        n = len(orders)
        cats = [cat for _, items in orders for a, cat in items if a > 0]
        out[c] = {"orders": n, "revenue": revenue, "avg_check": revenue / n,
                  "avg_days_between": (days[-1] - days[0]).days / (n - 1) if n > 1 else None,
                  "recency_days": (AS_OF - days[-1]).days,
                  "lines_per_order": sum(len(items) for _, items in orders) / n}
        for cat in ("A", "B", "C"):
            out[c][f"share_{cat}"] = cats.count(cat) / len(cats)
    return out


def test_hand_profile_against_plain_python(hand):
    features = reference_features(HAND)
    total = sum(f["revenue"] for f in features.values())
    assert [f.key for f in hand.features] == [*TX_FEATURES, "share_A", "share_B", "share_C"]
    for row in hand.profile.iter_rows(named=True):
        members = [c for c in HAND if (c in BIG) == (row["cluster"] == 1)]
        assert row["customers"] == 4 and row["customers_share"] == pytest.approx(0.5)
        assert row["revenue_share"] == pytest.approx(sum(features[c]["revenue"] for c in members) / total)
        for key in features["B1"]:
            values = [features[c][key] for c in members if features[c][key] is not None]
            expected = statistics.fmean(values) if values else None
            assert row[key] == pytest.approx(expected), (row["cluster"], key)
    assert hand.profile["top_categories"].to_list() == ["A, B", "C"]


def test_hand_customer_features_against_plain_python(hand):
    features = reference_features(HAND)
    for row in hand.customers.iter_rows(named=True):
        for key, value in features[row["customer_id"]].items():
            assert row[key] == pytest.approx(value), (row["customer_id"], key)


def test_hand_snake_and_rfm_table(hand):
    assert hand.snake.columns == ["cluster", "feature", "z"]
    z = {(c, f): v for c, f, v in hand.snake.iter_rows()}
    assert z[1, "orders"] > 0 > z[2, "orders"] and z[1, "recency_days"] < 0 < z[2, "recency_days"]
    for key in ("orders", "revenue", "share_C"):  # equal clusters: standardized means are opposite
        assert z[1, key] == pytest.approx(-z[2, key])
    assert hand.rfm.columns == ["segment", "customers", "cluster_1", "cluster_2"]
    assert hand.rfm["customers"].sum() == 8
    for column in ("cluster_1", "cluster_2"):
        assert hand.rfm[column].sum() == pytest.approx(1.0)
    assert not hand.rfm_named


def test_hand_headline_facts_and_templates(hand):
    assert hand.top.cluster == 1 and hand.top_customers_share == pytest.approx(0.5)
    text = render_partial("_headline_clusters.html", hand)
    assert text.startswith("Of 2 customer clusters, “Big baskets” brings")
    ru = render_partial("_clusters.html", hand, "ru", charts={"snake": ""})
    assert "Профиль JTBD" in ru and "Кластер 2" in ru and "Доля: A" in ru
    assert "k-means" in methodology("clusters", clusters.Params(k=2))


def test_log_scale_off_changes_only_the_transform():
    plain = run(lines_of(HAND), k=2, log_scale=False)
    assert not any(f.log for f in plain.features)
    assert dict(plain.customers.select("customer_id", "cluster").iter_rows())["S1"] == 2


def test_unknown_name_feature_is_a_located_error():
    with pytest.raises(UserError, match=r"analyses\.clusters\.names\.0\.lowest: no feature 'basket'"):
        run(lines_of(HAND), k=2, names=[{"lowest": "basket", "name": "X"}])


def test_more_clusters_than_customers_is_a_located_error():
    with pytest.raises(UserError, match=r"analyses\.clusters\.k: expected at most 8 clusters for 8 customers, got k 9"):
        run(lines_of(HAND), k=9)


@pytest.mark.parametrize(("params", "message"), [
    ({"k": 1}, "greater than or equal to 2"),
    ({"k": {"min": 5, "max": 3}}, "expected min ≤ max, got min 5 and max 3"),
    ({"names": [{"name": "X"}]}, "expected exactly one of highest or lowest"),
    ({"features": "web"}, "Input should be 'tx', 'cx' or 'both'"),
])
def test_params_are_checked(params, message):
    with pytest.raises(ValueError, match=message):
        clusters.Params(**params)


def test_cx_without_a_survey_source_is_a_located_error(project):
    spec = project("""\
        project: {title: T, client: C}
        sources:
          transactions: {path: data/t.csv}
        analyses:
          clusters: {features: cx, k: 2}
        """, {"data/t.csv": "customer_id,order_id,date,amount\n1,A,2024-01-01,5\n"})
    with pytest.raises(UserError) as caught:
        api.validate(spec)
    assert [str(p).split("project.yaml:")[1] for p in caught.value.problems] == [
        "5:24: analyses.clusters.features: clusters needs survey.customer_id; the spec has no sources.survey"]


def test_cx_features_from_survey_ratings():
    lines = lines_of(HAND)
    survey = pl.DataFrame({"respondent_id": [f"r{i}" for i in range(8)], "customer_id": list(HAND),
                           "speed": [9, 8, 9, 10, 2, 3, 1, 2], "price": [3, 4, 3, 2, 9, None, 8, 9]})
    facts = build_facts({"transactions": lines, "survey": survey}, AS_OF)
    got = clusters.compute(Context(None, facts), clusters.Params(features="cx", k=2))
    assert [f.key for f in got.features] == ["speed", "price"]
    assert dict(got.customers.select("customer_id", "cluster").iter_rows()) == {
        "B1": 1, "B2": 1, "B3": 1, "B4": 1, "S1": 2, "S2": 2, "S3": 2, "S4": 2}
    assert got.profile["price"].to_list() == pytest.approx([3.0, 26 / 3])  # the missing rating is left out
    both = clusters.compute(Context(None, facts), clusters.Params(features="both", k=2))
    assert [f.key for f in both.features][-2:] == ["speed", "price"] and both.customers.height == 8


# ===================================================================== 2. silhouette picks k

def three_groups(seed: int = 1) -> dict[str, list]:
    """Ten customers in each of three groups: one small order a year ago, four mid orders, ten big recent ones."""
    rng = random.Random(seed)
    history: dict[str, list] = {}
    for g, (orders, check, start) in enumerate([(1, 40, D(2023, 3, 1)), (4, 400, D(2023, 9, 1)),
                                                (10, 4000, D(2024, 1, 1))]):
        for i in range(10):
            first = start + dt.timedelta(days=rng.randint(0, 6))
            history[f"G{g}-{i:02}"] = [((first + dt.timedelta(days=8 * j)).isoformat(),
                                        [(round(check * rng.uniform(0.9, 1.1), 2), "A")]) for j in range(orders)]
    return history


def test_silhouette_picks_the_true_k():
    got = run(lines_of(three_groups()), k={"min": 2, "max": 6})
    assert got.k == 3 and got.k_chosen and got.k_tried == (2, 6)
    assert got.silhouette is not None and got.silhouette["k"].to_list() == [2, 3, 4, 5, 6]
    assert got.silhouette.filter("chosen")["k"].to_list() == [3]
    groups = got.customers.group_by(pl.col("customer_id").str.slice(0, 2)).agg(pl.col("cluster").n_unique())
    assert groups["cluster"].to_list() == [1, 1, 1]


# ===================================================================== 3. properties

@st.composite
def logs(draw):
    n = draw(st.integers(4, 12))
    rows = []
    for c in range(n):
        for o in range(draw(st.integers(1, 4))):
            day = D(2023, 1, 1) + dt.timedelta(days=draw(st.integers(0, 450)))
            for _line in range(draw(st.integers(1, 3))):
                rows.append((f"c{c:02}", f"c{c:02}-{o}", dt.datetime.combine(day, dt.time(10)),
                             float(draw(st.integers(-20, 900))), draw(st.sampled_from(["A", "B", None]))))
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


FEW = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FEW
@given(logs(), st.integers(2, 3), st.randoms(use_true_random=False))
def test_clusters_partition_customers_and_ignore_row_order(lines, k, rnd):
    facts = build_facts({"transactions": lines}, AS_OF)
    if facts.sales is None or facts.sales.customers.height < k:
        return
    got = clusters.compute(Context(None, facts), clusters.Params(k=k))
    people = facts.sales.customers["customer_id"].sort().to_list()
    assert got.customers["customer_id"].to_list() == people
    assert set(got.customers["cluster"]) <= set(range(1, k + 1))
    assert got.profile["customers"].sum() == len(people)
    listed = sorted(c for frame in got.customer_lists().values() for c in frame["customer_id"])
    assert listed == people
    order = list(range(lines.height))
    rnd.shuffle(order)
    shuffled = clusters.compute(Context(None, build_facts({"transactions": lines[order]}, AS_OF)), clusters.Params(k=k))
    assert shuffled.customers.equals(got.customers)
    again = clusters.compute(Context(None, facts), clusters.Params(k=k))
    assert again.customers.equals(got.customers) and again.profile.equals(got.profile)


def test_charts_name_features_and_clusters_in_the_report_language(hand):
    from cjmgen.charts import clusters as chart
    from cjmgen.charts.theme import Theme

    out = chart.charts(hand, Theme("ru", "RUB"))
    assert set(out) == {"snake"}  # k was given: no silhouette chart
    text = str(out["snake"].to_dict())
    assert "Доля: A" in text and "Дней между заказами" in text and "1. Big baskets" in text and "Кластер 2" in text
    chosen = run(lines_of(three_groups()), k={"min": 2, "max": 4})
    assert set(chart.charts(chosen, Theme("en", "EUR"))) == {"snake", "silhouette"}
