"""UI strings of the report in each locale. English is the key; other locales translate it."""

from __future__ import annotations

from cjmgen.analyses import ANALYSES
from cjmgen.analyses.base import Labels, localized

LABELS: dict[str, dict[str, str]] = {
    "Contents": {"ru": "Содержание"},
    "Summary": {"ru": "Резюме"},
    "Key figures": {"ru": "Ключевые показатели"},
    "Key findings": {"ru": "Главные выводы"},
    "Analysis date": {"ru": "Дата анализа"},
    "Prepared for": {"ru": "Подготовлено для"},
    "Prepared by": {"ru": "Подготовил"},
    "Page": {"ru": "Стр."},
    "of": {"ru": "из"},
    "Revenue": {"ru": "Выручка"},
    "Orders": {"ru": "Заказы"},
    "Customers": {"ru": "Клиенты"},
    "Average check": {"ru": "Средний чек"},
    "Identified orders": {"ru": "Заказы с ID клиента"},
    "Period": {"ru": "Период"},
    "Appendix": {"ru": "Приложение"},
    "Data quality": {"ru": "Качество данных"},
    "Methodology": {"ru": "Методология"},
    "Source": {"ru": "Источник"},
    "File": {"ru": "Файл"},
    "Rows read": {"ru": "Строк прочитано"},
    "Rows used": {"ru": "Строк использовано"},
    "Quarantined": {"ru": "В карантине"},
    "After the analysis date": {"ru": "После даты анализа"},
    "Reason": {"ru": "Причина"},
    "Rows": {"ru": "Строк"},
    "Dates from": {"ru": "Даты с"},
    "to": {"ru": "по"},
    "Notes": {"ru": "Примечания"},
    "Values set to empty": {"ru": "Значения, заменённые пустыми"},
    "No rows were quarantined.": {"ru": "Строк в карантине нет."},
    "Total": {"ru": "Итого"},
    "Segment": {"ru": "Сегмент"},
    "Name": {"ru": "Название"},
    "% of customers": {"ru": "% клиентов"},
    "% of revenue": {"ru": "% выручки"},
    "Orders per customer": {"ru": "Заказов на клиента"},
    "Orders per customer per year": {"ru": "Заказов на клиента в год"},
    "Days since last order": {"ru": "Дней с последнего заказа"},
    "LTV": {"ru": "LTV"},
    "Women": {"ru": "Женщины"},
    "Men": {"ru": "Мужчины"},
    "Age, women": {"ru": "Возраст, ж"},
    "Age, men": {"ru": "Возраст, м"},
    "Goal": {"ru": "Цель"},
    "Message": {"ru": "Сообщение"},
    "Channel": {"ru": "Канал"},
    "Timing": {"ru": "Когда"},
    "Trigger matrix": {"ru": "Матрица триггеров"},
    "Segments": {"ru": "Сегменты"},
    "Cohort": {"ru": "Когорта"},
    "Cohort size": {"ru": "Размер когорты"},
    "unidentified": {"ru": "без ID клиента"},
    "Share of orders with a customer ID": {"ru": "Доля заказов с ID клиента"},
    "and": {"ru": "и"},
    "more": {"ru": "других"},
    "unparseable date": {"ru": "дата не распознана"},
    "unparseable amount": {"ru": "сумма не распознана"},
    "missing date": {"ru": "нет даты"},
    "missing amount": {"ru": "нет суммы"},
    "missing order_id": {"ru": "нет номера чека"},
}


def translator(locale: str) -> Labels:
    """t(text): the text in the report's locale, from these labels and every analysis module's LABELS."""
    table: dict[str, dict[str, str]] = {}
    for analysis in ANALYSES.values():
        table.update(getattr(analysis, "LABELS", {}))
    table.update(LABELS)
    return localized(table, locale)
