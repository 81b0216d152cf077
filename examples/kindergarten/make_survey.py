"""Regenerate data/survey.csv: a seeded synthetic parent survey for the kindergarten example.

Each parent rates nine choice factors and overall satisfaction on a 1–10 scale. Ratings share a
"halo" (parents who like the kindergarten rate everything higher), and overall satisfaction is
built from the factors with the coefficients in BETA plus noise, so the weights the report derives
can be checked against the truth. Run: python examples/kindergarten/make_survey.py
"""

import csv
from pathlib import Path

import numpy as np

SEED = 20240901
RESPONDENTS = 260
BETA = {  # standardized effect of each factor rating on overall satisfaction (the "truth")
    "Воспитатели": 0.36, "Безопасность": 0.27, "Обратная_связь": 0.20, "Программа": 0.16, "Питание": 0.14,
    "Близость_к_дому": 0.10, "Режим_работы": 0.08, "Кружки": 0.03, "Цена": 0.06,
}
MEANS = {  # average rating of each factor on the 1–10 scale: parents like the teachers, not the price
    "Воспитатели": 7.9, "Безопасность": 7.4, "Обратная_связь": 6.1, "Программа": 7.0, "Питание": 6.6,
    "Близость_к_дому": 7.2, "Режим_работы": 6.9, "Кружки": 6.4, "Цена": 5.3,
}
DISCOUNTS = ("Большие разовые скидки", "Небольшая постоянная скидка", "Баллы за посещение")
GROUPS = ("Ясли (1,5–3 года)", "Младшая (3–4)", "Средняя (4–5)", "Старшая (5–7)")


def simulate(rng: np.random.Generator) -> list[dict]:
    """One dict per respondent, columns as the client's survey tool exports them."""
    halo = rng.normal(size=RESPONDENTS)
    factors = {name: 0.45 * halo + np.sqrt(1 - 0.45**2) * rng.normal(size=RESPONDENTS) for name in BETA}
    signal = sum(beta * factors[name] for name, beta in BETA.items())
    overall = signal + rng.normal(scale=0.45, size=RESPONDENTS)
    rows = []
    for i in range(RESPONDENTS):
        row = {"Анкета": f"A{i + 1:04d}", "Группа": GROUPS[rng.integers(len(GROUPS))]}
        row |= {name: _rating(values[i], MEANS[name]) for name, values in factors.items()}
        row["Общая_удовлетворённость"] = _rating(overall[i] / overall.std(), 7.1)
        row["Предпочитаемая_скидка"] = rng.choice(DISCOUNTS, p=[0.58, 0.25, 0.17])
        row["Рекомендую_0_10"] = int(np.clip(round(7.6 + 2.1 * overall[i] / overall.std()), 0, 10))
        if rng.random() < 0.03:  # a few parents skip a question: these answers drop out of the regression
            row[rng.choice(list(BETA))] = ""
        rows.append(row)
    return rows


def _rating(z: float, mean: float) -> int:
    return int(np.clip(round(mean + 1.7 * z), 1, 10))


if __name__ == "__main__":
    data = simulate(np.random.default_rng(SEED))
    target = Path(__file__).parent / "data" / "survey.csv"
    with target.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(data[0]))
        writer.writeheader()
        writer.writerows(data)
