"""The money targets chart, written as SVG by hand at build time (no JavaScript, nothing fetched).

One bar per money target, grouped by plan and ordered by target year, drawn twice: the amount as
the plan states it in yuan, and the same amount in US dollars from the derived ``usd`` column.
Where the source prints its own dollar figure (``reported_usd``) a diamond marks it, so a reader
can compare the two. The ``<title>`` and ``<desc>`` carry the chart's content for screen readers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from cnplans.site.markup import Html, el

Row = dict[str, str]

CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")  # money units are ISO 4217 codes (schema: targets.unit)
CURRENCY_WORDS = {"CNY": "yuan", "USD": "US dollars"}
WIDTH = 1000
LABEL_WIDTH = 285  # row labels; plan names stand on their own full-width rows
ROW_LABEL_CHARS = 36
PANEL_GAP = 28
VALUE_LABEL_WIDTH = 110
TOP = 62
GROUP_HEIGHT = 26
ROW_HEIGHT = 24
BAR_HEIGHT = 14
LEGEND_HEIGHT = 70
YUAN_COLOUR = "#a23b2a"
DOLLAR_COLOUR = "#1f5f8b"
INK = "#1b1b1b"
MUTED = "#595959"
GRID = "#d9d9d9"
TITLE_ID = "money-chart-title"
DESC_ID = "money-chart-desc"


def _number(text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
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

    @property
    def yuan(self) -> float | None:
        return self.value if self.currency == "CNY" else None

    @property
    def yuan_max(self) -> float | None:
        return self.value_max if self.currency == "CNY" else None

    @property
    def dollars(self) -> float | None:
        return self.value if self.currency == "USD" else self.usd

    @property
    def dollars_max(self) -> float | None:
        return self.value_max if self.currency == "USD" else self.usd_max

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
        found.append(
            MoneyTarget(
                target_id=row.get("target_id", ""),
                plan_id=row.get("plan_id", ""),
                plan_label=plan_labels.get(row.get("plan_id", ""), row.get("plan_id", "")),
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
    plan_order = {plan_id: i for i, plan_id in enumerate(plan_labels)}
    return sorted(
        found,
        key=lambda t: (
            plan_order.get(t.plan_id, len(plan_order)),
            t.plan_id,
            t.target_year == "",
            t.target_year,
            t.target_id,
        ),
    )


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
    magnitude = 10 ** math.floor(math.log10(top / 4)) if top / 4 > 0 else 1.0
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if top / (m * magnitude) <= 5)
    count = math.ceil(top / step - 1e-9)
    return Scale(divisor, word, [round(i * step, 10) for i in range(count + 1)])


def figure(amount: float, divisor: float) -> str:
    """An amount in the scale's unit with at most two decimals: ``84.8``, ``33.07``, ``230``."""
    text = f"{amount / divisor:,.2f}".rstrip("0").rstrip(".")
    return text or "0"


def qualified(target: MoneyTarget, low: float, high: float | None, divisor: float) -> str:
    """The amount with the plan's qualifier in words: ``more than 230``, ``3–4``."""
    if target.qualifier == "range" and high is not None:
        return f"{figure(low, divisor)}–{figure(high, divisor)}"
    words = (
        "" if target.qualifier in ("exactly", "range", "") else target.qualifier.replace("_", " ")
    )
    return f"{words} {figure(low, divisor)}".strip()


def amount_text(target: MoneyTarget, currency: str) -> str:
    """A sentence fragment for the table and the description: ``more than 230 billion yuan``."""
    if currency == "USD":
        low, high = target.dollars, target.dollars_max
    else:
        low, high = target.yuan, target.yuan_max
    if low is None:
        return ""
    scale = scale_for(low)
    unit = CURRENCY_WORDS.get(currency, currency)
    return f"{qualified(target, low, high, scale.divisor)} {scale.word} {unit}".replace("  ", " ")


def _panel_scale(amounts: list[float]) -> Scale:
    return scale_for(max(amounts, default=0.0))


def _text(x: float, y: float, text: str, **attrs: object) -> Html:
    return el("text", text, x=f"{x:.1f}", y=f"{y:.1f}", **attrs)


def _diamond(x: float, y: float, size: float = 5.5) -> Html:
    corners = [(x, y - size), (x + size, y), (x, y + size), (x - size, y)]
    points = "M" + " L".join(f"{cx:.1f},{cy:.1f}" for cx, cy in corners) + " Z"
    return el("path", d=points, fill=INK, stroke="#ffffff", stroke_width="1")


def describe(targets: list[MoneyTarget]) -> str:
    """The chart's ``<desc>``: what it shows, then every bar in words."""
    plans = list(dict.fromkeys(t.plan_id for t in targets))
    parts = [
        f"Money targets of {len(plans)} plans, one bar per target, grouped by plan and ordered "
        "by target year. Left panel: the amount the plan states, in yuan. Right panel: the same "
        "amount in US dollars from the derived usd column (annual average exchange rate); a "
        "diamond marks the US dollar figure the source itself prints."
    ]
    for t in targets:
        yuan = amount_text(t, "CNY") or f"stated in {t.currency}"
        dollars = amount_text(t, "USD") or "not converted"
        sentence = (
            f"{t.plan_label}, {t.indicator.replace('_', ' ')}, {t.year_text}: {yuan}; {dollars}"
        )
        if t.reported_usd is not None:
            sentence += f" (the source prints {figure(t.reported_usd, 1e9)} billion US dollars)"
        parts.append(sentence + ".")
    return " ".join(parts)


def render_svg(targets: list[MoneyTarget], standalone: bool = False) -> Html | None:
    """The chart as an ``<svg>`` element (``standalone`` adds the XML namespace for a .svg file).

    Returns None when there is no money target to draw.
    """
    if not targets:
        return None
    groups: dict[str, list[MoneyTarget]] = {}
    for t in targets:
        groups.setdefault(t.plan_id, []).append(t)
    height = TOP + GROUP_HEIGHT * len(groups) + ROW_HEIGHT * len(targets) + LEGEND_HEIGHT
    panel_width = (WIDTH - LABEL_WIDTH - PANEL_GAP - 10) / 2
    bar_room = panel_width - VALUE_LABEL_WIDTH
    panels = [
        (
            LABEL_WIDTH,
            "CNY",
            YUAN_COLOUR,
            _panel_scale([a for t in targets for a in (t.yuan, t.yuan_max) if a is not None]),
        ),
        (
            LABEL_WIDTH + panel_width + PANEL_GAP,
            "USD",
            DOLLAR_COLOUR,
            _panel_scale(
                [
                    a
                    for t in targets
                    for a in (t.dollars, t.dollars_max, t.reported_usd)
                    if a is not None
                ]
            ),
        ),
    ]
    rows_bottom = height - LEGEND_HEIGHT
    parts: list[Html] = [
        el(
            "title", "Money targets by plan and target year, in yuan and in US dollars", id=TITLE_ID
        ),
        el("desc", describe(targets), id=DESC_ID),
        el("rect", x="0", y="0", width=str(WIDTH), height=str(height), fill="#ffffff"),
    ]
    for x0, currency, colour, scale in panels:
        unit = f"{scale.word} {CURRENCY_WORDS.get(currency, currency)}".strip()
        heading = "Stated amount" if currency == "CNY" else "Converted to dollars"
        parts.append(_text(x0, 20, f"{heading}, {unit}", font_weight="bold", fill=colour))
        for tick in scale.ticks:
            x = x0 + bar_room * tick / scale.maximum
            parts.append(
                el(
                    "line",
                    x1=f"{x:.1f}",
                    x2=f"{x:.1f}",
                    y1=str(TOP - 14),
                    y2=str(rows_bottom),
                    stroke=GRID,
                    stroke_width="1",
                )
            )
            parts.append(
                _text(
                    x,
                    TOP - 20,
                    figure(tick * scale.divisor, scale.divisor),
                    fill=MUTED,
                    font_size="11",
                    text_anchor="middle",
                )
            )
    y = float(TOP)
    for plan_targets in groups.values():
        parts.append(
            el(
                "rect",
                x="0",
                y=f"{y:.1f}",
                width=str(WIDTH),
                height=str(GROUP_HEIGHT),
                fill="#f1f1ee",
            )
        )
        parts.append(_text(8, y + 17, plan_targets[0].plan_label, font_weight="bold", fill=INK))
        y += GROUP_HEIGHT
        for t in plan_targets:
            label = f"{t.year_text} · {t.indicator.replace('_', ' ')}"
            if len(label) > ROW_LABEL_CHARS:  # the <desc> and the table carry the whole text
                label = label[: ROW_LABEL_CHARS - 1] + "…"
            parts.append(_text(20, y + 16, label, fill=INK))
            for x0, currency, colour, scale in panels:
                parts.extend(_bars(t, currency, colour, scale, x0, y, bar_room))
            y += ROW_HEIGHT
    parts.extend(_legend(rows_bottom + 26))
    attrs: dict[str, object] = {
        "viewBox": f"0 0 {WIDTH} {height}",
        "width": str(WIDTH),
        "height": str(height),
        "role": "img",
        "aria_labelledby": f"{TITLE_ID} {DESC_ID}",
        "font_family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
        "font_size": "13",
        "class_": "chart",
    }
    if standalone:
        attrs["xmlns"] = "http://www.w3.org/2000/svg"
    return el("svg", *parts, **attrs)


def _bars(
    t: MoneyTarget, currency: str, colour: str, scale: Scale, x0: float, y: float, room: float
) -> list[Html]:
    low, high = (t.yuan, t.yuan_max) if currency == "CNY" else (t.dollars, t.dollars_max)
    reported = t.reported_usd if currency == "USD" else None

    def width_of(amount: float) -> float:
        return room * amount / scale.divisor / scale.maximum

    out: list[Html] = []
    end = x0
    if low is not None:
        out.append(
            el(
                "rect",
                x=f"{x0:.1f}",
                y=f"{y + 5:.1f}",
                width=f"{width_of(low):.1f}",
                height=str(BAR_HEIGHT),
                fill=colour,
            )
        )
        end = x0 + width_of(low)
        if high is not None and high > low:
            out.append(
                el(
                    "rect",
                    x=f"{end:.1f}",
                    y=f"{y + 5:.1f}",
                    width=f"{width_of(high - low):.1f}",
                    height=str(BAR_HEIGHT),
                    fill=colour,
                    fill_opacity="0.4",
                )
            )
            end = x0 + width_of(high)
    if reported is not None:
        x = x0 + width_of(reported)
        out.append(_diamond(x, y + 12))
        end = max(end, x + 4)
    if low is not None:
        out.append(_text(end + 5, y + 16, qualified(t, low, high, scale.divisor), fill=INK))
    elif reported is not None:
        out.append(
            _text(end + 5, y + 16, f"{figure(reported, scale.divisor)} as printed", fill=MUTED)
        )
    else:
        words = "not converted" if currency == "USD" else f"stated in {t.currency}"
        out.append(_text(x0 + 4, y + 16, words, fill=MUTED, font_style="italic"))
    return out


def _legend(y: float) -> list[Html]:
    x = 8.0
    out: list[Html] = []
    entries = [
        ("rect", YUAN_COLOUR, "amount as the plan states it"),
        ("rect", DOLLAR_COLOUR, "in US dollars at the annual average rate (usd)"),
        ("diamond", INK, "US dollar figure the source prints (reported_usd)"),
    ]
    for shape, colour, words in entries:
        if shape == "rect":
            out.append(
                el("rect", x=f"{x:.1f}", y=f"{y - 11:.1f}", width="14", height="14", fill=colour)
            )
        else:
            out.append(_diamond(x + 7, y - 4))
        out.append(_text(x + 20, y, words, fill=INK))
        x += 26 + 6.6 * len(words)
    out.append(
        _text(
            8,
            y + 24,
            "Words before a figure are the plan's own qualifier (more than, at least, "
            "strive for); a paler bar end is the upper end of a range.",
            fill=MUTED,
        )
    )
    return out


def chart_rows(targets: list[MoneyTarget]) -> list[tuple[MoneyTarget, str, str]]:
    """Each target with its yuan and dollar amounts in words, for the table beside the chart."""
    return [(t, amount_text(t, "CNY"), amount_text(t, "USD")) for t in targets]


__all__ = [
    "MoneyTarget",
    "amount_text",
    "chart_rows",
    "describe",
    "money_targets",
    "render_svg",
    "scale_for",
]
