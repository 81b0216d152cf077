"""Receipt lines: products, quantities and money (returns copy their purchase line, negated), as the lines frame."""

from __future__ import annotations

import numpy as np
import polars as pl

from cjmgen.demo_data.receipts import Receipts, Returns
from cjmgen.demo_data.reference import (
    CAT_PARTNER,
    CAT_W_ADDON,
    CAT_W_MAIN_F,
    CAT_W_MAIN_M,
    CATEGORIES,
    N_DAYS,
    P_PARTNER,
    STORES,
    US_PER_MIN,
)
from cjmgen.demo_data.sampling import group_offsets, grouped_choice


def _make_lines(
    rng: np.random.Generator,
    cat_data: dict[str, np.ndarray],
    rid: np.ndarray,
    line_no: np.ndarray,
    gender_code: np.ndarray,
    day: np.ndarray,
) -> dict[str, np.ndarray]:
    """Product, quantity and money columns for lines of receipts ``rid`` (receipt-level inputs)."""
    L = rid.size
    n_cat = len(CATEGORIES)
    addon = (rng.random(L) < np.where(line_no == 0, 0.08, 0.42)).astype(np.int64)
    main_w = np.vstack([CAT_W_MAIN_F, CAT_W_MAIN_M, 0.65 * CAT_W_MAIN_F + 0.35 * CAT_W_MAIN_M])
    cat_w = np.vstack([main_w, np.tile(CAT_W_ADDON, (3, 1))])  # key = addon*3 + gender
    key = addon * 3 + gender_code[rid]
    key = addon * n_cat + _paired(rng, grouped_choice(rng, key, cat_w), line_no)
    sku = cat_data["table"][key, grouped_choice(rng, key, cat_data["weights"])].astype(np.int32)
    del key
    q_w = np.array([[85, 11, 3, 0.6, 0.4, 0.0], [65, 22, 8, 3, 1.5, 0.5]])
    qty = 1 + grouped_choice(rng, addon, q_w)
    del addon
    inflation = (1.075 ** (np.arange(N_DAYS) / 365.0))[day]  # per receipt
    promo = np.where(rng.random(L) < 0.12, 1.0 - rng.uniform(0.10, 0.30, L), 1.0)
    price = np.round(cat_data["price"][sku] * inflation[rid] * promo, 2)
    del promo
    np.maximum(price, 1.0, out=price)
    amount = np.round(qty * price, 2)
    ratio = cat_data["cost_ratio"][sku] + rng.normal(0.0, 0.01, L)
    np.clip(ratio, 0.60, 0.75, out=ratio)
    cost = np.round(amount * ratio, 2)
    return {"sku": sku, "qty": qty, "price": price, "amount": amount, "cost": cost}


def _paired(rng: np.random.Generator, cat: np.ndarray, line_no: np.ndarray) -> np.ndarray:
    """Categories with a partner pulled together: a later line of a receipt takes the partner of the receipt's first
    line's category with probability P_PARTNER. The draws come from a child generator (``rng.spawn``), so the rest of
    the data is drawn exactly as without the pairing; the number of lines never changes."""
    partner = CAT_PARTNER[cat[np.arange(cat.size) - line_no]]  # lines of a receipt are contiguous, line_no from 0
    child = rng.spawn(1)[0]
    pulled = (line_no > 0) & (partner >= 0) & (child.random(cat.size) < P_PARTNER)
    return np.where(pulled, partner, cat)


def _negate_returns(ln: dict[str, np.ndarray], rec: Receipts, ret: Returns) -> None:
    """Return lines copy their source line (always an earlier receipt), negated; ``ln`` is changed in place."""
    sku, qty, price, amount, cost = ln["sku"], ln["qty"], ln["price"], ln["amount"], ln["cost"]
    src_line, ret_line = rec.src_line, rec.ret_line
    sku[ret_line] = sku[src_line]
    price[ret_line] = price[src_line]
    ret_qty = np.where(ret.full, qty[src_line], 1)
    ret_amount = np.round(ret_qty * price[src_line], 2)
    src_amount = amount[src_line]
    ratio = np.divide(cost[src_line], src_amount, out=np.full(ret.n, 0.7), where=src_amount > 0)
    qty[ret_line] = -ret_qty
    amount[ret_line] = -ret_amount
    cost[ret_line] = -np.round(ret_amount * ratio, 2)


def line_values(rng: np.random.Generator, cat_data: dict[str, np.ndarray], rec: Receipts, ret: Returns) -> dict[str, np.ndarray]:
    """Line columns rid (receipt index)/sku/qty/price/amount/cost, generated directly in output order."""
    rid, line_no = group_offsets(rec.lines)
    ln = _make_lines(rng, cat_data, rid, line_no, rec.gender, rec.day)
    del line_no
    _negate_returns(ln, rec, ret)
    return {"rid": rid} | ln


def lines_frame(ln: dict[str, np.ndarray], rec: Receipts, cat_data: dict[str, np.ndarray], cards: pl.Series) -> pl.DataFrame:
    """The lines frame, column by column; ``ln`` is emptied as its arrays become series (memory at 10M lines)."""
    rid_s = pl.Series(ln.pop("rid").astype(np.uint32))
    sku_s = pl.Series(ln.pop("sku").astype(np.uint32))
    store_s = pl.Series(rec.store.astype(np.uint32))
    cards_or_null = pl.concat([cards, pl.Series([None], dtype=pl.String)])  # index k -> null
    category = pl.Series(cat_data["cat"].astype(np.uint32)).gather(sku_s)
    group = pl.Series(cat_data["group"].astype(np.uint32)).gather(sku_s)
    columns = [
        cards_or_null.gather(pl.Series(rec.cust.astype(np.uint32))).gather(rid_s).alias("customer_id"),
        ("R" + pl.Series(rec.order_num).cast(pl.String).str.zfill(9)).gather(rid_s).alias("order_id"),
        pl.Series(rec.stamp * US_PER_MIN).cast(pl.Datetime("us")).gather(rid_s).alias("date"),
        pl.Series("amount", ln.pop("amount")),
        pl.Series("quantity", ln.pop("qty"), dtype=pl.Int64),
        pl.Series("price", ln.pop("price")),
        pl.Series(cat_data["code"]).gather(sku_s).alias("sku"),
        pl.Series(CATEGORIES).gather(category).alias("category"),
        pl.Series([s for s, _, _ in STORES]).gather(store_s).gather(rid_s).alias("store"),
        pl.Series([m for _, _, m in STORES]).gather(store_s).gather(rid_s).alias("manager"),
        pl.Series(["offline", "online"]).gather(rec.online.astype(np.uint32)).gather(rid_s).alias("channel"),
        pl.Series("cost", ln.pop("cost")),
        pl.Series(["main", "add-on"]).gather(group).alias("product_group"),
    ]
    return pl.DataFrame(columns)
