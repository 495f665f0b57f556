"""The money targets chart: its figures and coordinates here, its SVG in ``templates/chart.svg.j2``.

One bar per money target, grouped by plan and ordered by target year, drawn twice: the amount as
the plan states it in yuan, and the same amount in US dollars from the derived ``usd`` column.
Where the source prints its own dollar figure (``reported_usd``) a diamond marks it. The SVG's
``<title>`` and ``<desc>`` carry the chart's content for screen readers. Nothing is converted
here: the dollars are the package's own ``usd`` column.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import accumulate, groupby

from cnplans.conversion.fx import CURRENCY_CODE

from .package import Row
from .render import ENVIRONMENT

CURRENCY_WORDS = {"CNY": "yuan", "USD": "US dollars"}
WIDTH = 1000
LABEL_WIDTH = 285  # row labels; plan names stand on their own full-width rows
PANEL_GAP = 28
VALUE_LABEL_WIDTH = 110
TOP = 62
GROUP_HEIGHT = 26
ROW_HEIGHT = 24
LEGEND_HEIGHT = 70
YUAN_COLOUR = "#a23b2a"
DOLLAR_COLOUR = "#1f5f8b"
LEGEND = [  # (shape, colour, words)
    ("rect", YUAN_COLOUR, "amount as the plan states it"),
    ("rect", DOLLAR_COLOUR, "in US dollars at the annual average rate (usd)"),
    ("diamond", "", "US dollar figure the source prints (reported_usd)"),
]


def _number(text: str) -> float | None:
    try:
        return float(text) if text.strip() else None
    except ValueError:
        return None


@dataclass(frozen=True)
class MoneyTarget:
    """A target whose unit is a currency, with the figures the chart draws."""

    target_id: str
    plan_id: str
    plan_label: str
    indicator: str
    target_year: str
    qualifier: str
    currency: str
    value: float
    value_max: float | None
    usd: float | None
    usd_max: float | None
    reported_usd: float | None

    def amounts(self, currency: str) -> tuple[float | None, float | None]:
        """``(low, high)`` in ``"CNY"`` (as stated, else none) or ``"USD"`` (stated or usd)."""
        if currency == self.currency:
            return self.value, self.value_max
        return (self.usd, self.usd_max) if currency == "USD" else (None, None)

    @property
    def year_text(self) -> str:
        return self.target_year or "year not stated"


def money_targets(targets: Iterable[Row], plan_labels: dict[str, str]) -> list[MoneyTarget]:
    """The targets stated in a currency, ordered by plan (as ``plan_labels``), year, then id."""
    found = []
    for row in targets:
        value = _number(row.get("value", ""))
        if not CURRENCY_CODE.match(row.get("unit", "")) or value is None:
            continue
        value_max = _number(row.get("value_max", ""))
        rate = _number(row.get("fx_units_per_usd", ""))
        usd = _number(row.get("usd", ""))
        usd_max = value_max / rate if value_max is not None and rate and usd is not None else None
        plan_id = row.get("plan_id", "")
        found.append(
            MoneyTarget(
                target_id=row.get("target_id", ""),
                plan_id=plan_id,
                plan_label=plan_labels.get(plan_id, plan_id),
                indicator=row.get("indicator", ""),
                target_year=row.get("target_year", ""),
                qualifier=row.get("qualifier", ""),
                currency=row["unit"],
                value=value,
                value_max=value_max,
                usd=usd,
                usd_max=usd_max,
                reported_usd=_number(row.get("reported_usd", "")),
            )
        )
    order = {plan_id: i for i, plan_id in enumerate(plan_labels)}
    found.sort(key=lambda t: (t.target_year == "", t.target_year, t.target_id))
    return sorted(found, key=lambda t: (order.get(t.plan_id, len(order)), t.plan_id))  # stable


@dataclass(frozen=True)
class Scale:
    """How a panel shows amounts: a divisor with its word, and the axis ticks (in those units)."""

    divisor: float
    word: str
    ticks: list[float]

    @property
    def maximum(self) -> float:
        return self.ticks[-1]


def scale_for(largest: float) -> Scale:
    """Billions, millions or units, whichever suits ``largest``, with 'nice' round ticks."""
    divisor, word = (1e9, "billion") if largest >= 1e9 else (1e6, "million")
    if largest < 1e6:
        divisor, word = 1.0, ""
    top = largest / divisor if largest > 0 else 1.0
    magnitude = 10 ** math.floor(math.log10(top / 4))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if top / (m * magnitude) <= 5)
    count = math.ceil(top / step - 1e-9)
    return Scale(divisor, word, [round(i * step, 10) for i in range(count + 1)])


def figure(amount: float, divisor: float) -> str:
    """An amount in the scale's unit with at most two decimals: ``84.8``, ``33.07``, ``230``."""
    return f"{amount / divisor:,.2f}".rstrip("0").rstrip(".") or "0"


def qualified(target: MoneyTarget, low: float, high: float | None, divisor: float) -> str:
    """The amount with the plan's qualifier in words: ``more than 230``, ``3–4``."""
    if target.qualifier == "range" and high is not None:
        return f"{figure(low, divisor)}–{figure(high, divisor)}"
    words = "" if target.qualifier in ("exactly", "range") else target.qualifier.replace("_", " ")
    return f"{words} {figure(low, divisor)}".strip()


def amount_text(target: MoneyTarget, currency: str) -> str:
    """A sentence fragment for the table and the ``<desc>``: ``more than 230 billion yuan``."""
    low, high = target.amounts(currency)
    if low is None:
        return ""
    scale = scale_for(low)
    unit = CURRENCY_WORDS.get(currency, currency)
    return f"{qualified(target, low, high, scale.divisor)} {scale.word} {unit}".replace("  ", " ")


@dataclass(frozen=True)
class Bar:
    """One target in a panel: the bar, its paler range end, the source's diamond, the figure."""

    width: float | None  # None: no amount in this panel's currency
    range_width: float  # the upper end of a range (0 when there is none)
    diamond: float | None  # where the figure the source prints is
    label: str  # the amount; without one (width None), what is missing, in grey
    label_x: float


@dataclass(frozen=True)
class Panel:
    """One of the two panels: its currency, left edge, colour, scale and room for bars."""

    currency: str
    x: float
    colour: str
    scale: Scale
    room: float

    def span(self, amount: float) -> float:
        """How wide ``amount`` is drawn."""
        return self.room * amount / self.scale.divisor / self.scale.maximum

    def bar(self, t: MoneyTarget) -> Bar:
        """Where ``t``'s bar, diamond and figure go in this panel."""
        low, high = t.amounts(self.currency)
        reported = t.reported_usd if self.currency == "USD" else None
        if low is not None:
            label = qualified(t, low, high, self.scale.divisor)
        elif reported is not None:
            label = f"{figure(reported, self.scale.divisor)} as printed"
        else:
            words = "not converted" if self.currency == "USD" else f"stated in {t.currency}"
            return Bar(None, 0, None, words, self.x + 4)
        width = None if low is None else self.span(low)
        range_width = 0.0 if low is None or high is None or high <= low else self.span(high - low)
        end = self.x + (width or 0) + range_width
        diamond = None if reported is None else self.x + self.span(reported)
        if diamond is not None:
            end = max(end, diamond + 4)
        return Bar(width, range_width, diamond, label, end + 5)


def render_svg(targets: list[MoneyTarget], standalone: bool = False) -> str | None:
    """The chart as an ``<svg>`` element (``standalone`` adds the XML namespace for a .svg file).

    Returns None when there is no money target to draw.
    """
    if not targets:
        return None
    panel_width = (WIDTH - LABEL_WIDTH - PANEL_GAP - 10) / 2
    room = panel_width - VALUE_LABEL_WIDTH
    amounts = {
        "CNY": [a for t in targets for a in t.amounts("CNY")],
        "USD": [a for t in targets for a in (*t.amounts("USD"), t.reported_usd)],
    }
    panels = [
        Panel(
            currency,
            LABEL_WIDTH + i * (panel_width + PANEL_GAP),
            colour,
            scale_for(max((a for a in amounts[currency] if a is not None), default=0.0)),
            room,
        )
        for i, (currency, colour) in enumerate([("CNY", YUAN_COLOUR), ("USD", DOLLAR_COLOUR)])
    ]
    groups, y = [], TOP  # (y, [(row y, target), ...]) per plan
    for _, plan_targets in groupby(targets, lambda t: t.plan_id):
        rows = [(y + GROUP_HEIGHT + ROW_HEIGHT * i, t) for i, t in enumerate(plan_targets)]
        groups.append((y, rows))
        y += GROUP_HEIGHT + ROW_HEIGHT * len(rows)
    xs = accumulate((26 + 6.6 * len(words) for _, _, words in LEGEND), initial=8.0)
    svg = ENVIRONMENT.get_template("chart.svg.j2").render(
        width=WIDTH,
        height=y + LEGEND_HEIGHT,
        top=TOP,
        rows_bottom=y,
        legend_y=y + 26,
        targets=targets,
        amount_text=amount_text,
        panels=panels,
        groups=groups,
        legend=[(x, *item) for x, item in zip(xs, LEGEND, strict=False)],
        currency_words=CURRENCY_WORDS,
        figure=figure,
        standalone=standalone,
    )
    return svg.strip()
