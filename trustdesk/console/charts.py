"""The dashboard's figures and their charts, drawn as SVG on the server: no script, no inline style.

Each chart is plain geometry (bars with x, y, width, height and a CSS class); the template draws it and
``console/console.css`` colours it. Each also carries its figures as a table (``headers`` and ``rows``),
which the page offers under the chart: the same numbers for a screen reader, a keyboard or a copy.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from trustdesk.console import labels
from trustdesk.lib.deadlines import Urgency
from trustdesk.rights import clock
from trustdesk.rights.models import Kind, Request, Status

WEEKS = 12
WIDTH = 640
HEIGHT = 220
LEFT = 36  # room for the scale
BOTTOM = 28  # room for the week labels
TOP = 10


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass
class Chart:
    bars: list[Bar] = field(default_factory=list)
    ticks: list[tuple[float, str]] = field(default_factory=list)  # (y, value) on the scale
    columns: list[tuple[float, str]] = field(default_factory=list)  # (x of the middle, label)
    headers: list[str | Promise] = field(default_factory=list)  # the table's column headers
    rows: list[tuple[str, list[str]]] = field(default_factory=list)  # (row header, cells)
    width: int = WIDTH
    height: int = HEIGHT
    base: float = HEIGHT - BOTTOM
    left: int = LEFT


@dataclass(frozen=True)
class Legend:
    label: str | Promise
    css: str


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def weeks_until(today: dt.date, count: int = WEEKS) -> list[dt.date]:
    last = week_start(today)
    return [last - dt.timedelta(weeks=n) for n in range(count - 1, -1, -1)]


def _scale(top: float) -> tuple[float, list[float]]:
    """A round maximum for the scale and its ticks."""
    if top <= 0:
        return 1, [0, 1]
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if top / step <= 5:
            break
    ceiling = -(-top // step) * step
    return ceiling, [n * step for n in range(int(ceiling // step) + 1)]


def _frame(columns: list[str], top: float) -> tuple[Chart, float, float]:
    chart = Chart()
    ceiling, ticks = _scale(top)
    usable = HEIGHT - BOTTOM - TOP
    chart.ticks = [(chart.base - usable * t / ceiling, f"{t:g}") for t in ticks]
    slot = (WIDTH - LEFT) / max(len(columns), 1)
    chart.columns = [(LEFT + slot * (i + 0.5), name) for i, name in enumerate(columns)]
    return chart, slot, usable / ceiling


def requests_per_week(today: dt.date) -> tuple[Chart, list[Legend], int]:
    """Requests received per week, stacked by kind; and how many in all."""
    weeks = weeks_until(today)
    counts: dict[dt.date, Counter[str]] = defaultdict(Counter)
    for received_on, kind in Request.objects.filter(received_on__gte=weeks[0]).values_list(
        "received_on", "kind"
    ):
        counts[week_start(received_on)][kind] += 1
    totals = [sum(counts[w].values()) for w in weeks]
    chart, slot, unit = _frame([w.strftime("%d/%m") for w in weeks], max(totals, default=0))
    for i, week in enumerate(weeks):
        y = chart.base
        for kind in Kind.values:
            n = counts[week][kind]
            if not n:
                continue
            height = n * unit
            y -= height
            chart.bars.append(
                Bar(
                    LEFT + slot * i + slot * 0.15,
                    y,
                    slot * 0.7,
                    height,
                    f"kind-{kind}",
                    f"{labels.KIND[kind]}: {n}",
                )
            )
    legend = [Legend(labels.KIND[kind], f"kind-{kind}") for kind in Kind.values]
    chart.headers = [_("Week of"), *(labels.KIND[kind] for kind in Kind.values), _("All kinds")]
    chart.rows = [
        (week.isoformat(), [*(str(counts[week][kind]) for kind in Kind.values), str(total)])
        for week, total in zip(weeks, totals, strict=True)
    ]
    return chart, legend, sum(totals)


def _days_to_answer(request: Request) -> int:
    closed = timezone.localtime(request.closed_at).date() if request.closed_at else request.received_on
    return (closed - request.received_on).days


def median_days(today: dt.date) -> tuple[Chart, float | None, int]:
    """The median number of days from receipt to answer, per week of answering; over those weeks; and how
    many requests were answered in them."""
    weeks = weeks_until(today)
    start = timezone.make_aware(dt.datetime.combine(weeks[0], dt.time.min))
    answered = Request.objects.filter(
        status__in=(Status.FULFILLED, Status.REFUSED), closed_at__gte=start
    ).only("received_on", "closed_at")
    per_week: dict[dt.date, list[int]] = defaultdict(list)
    every: list[int] = []
    for item in answered:
        days = _days_to_answer(item)
        per_week[week_start(timezone.localtime(item.closed_at).date())].append(days)
        every.append(days)
    medians = [statistics.median(per_week[w]) if per_week[w] else None for w in weeks]
    chart, slot, unit = _frame(
        [w.strftime("%d/%m") for w in weeks], max((m or 0 for m in medians), default=0)
    )
    for i, value in enumerate(medians):
        if value is None:
            continue
        height = value * unit
        chart.bars.append(
            Bar(LEFT + slot * i + slot * 0.2, chart.base - height, slot * 0.6, height, "median", f"{value:g}")
        )
    chart.headers = [_("Week of"), _("Requests answered"), _("Median days to answer")]
    chart.rows = [
        (week.isoformat(), [str(len(per_week[week])), "—" if value is None else number_format(value)])
        for week, value in zip(weeks, medians, strict=True)
    ]
    return chart, (statistics.median(every) if every else None), len(every)


def open_by_urgency(today: dt.date) -> tuple[Chart, dict[Urgency, int]]:
    """Open requests by how their due date stands: overdue, due today, due soon, on time."""
    counts: Counter[Urgency] = Counter()
    for due_on in Request.objects.exclude(status__in=Status.closed()).values_list("due_on", flat=True):
        counts[clock.deadlines.urgency(due_on, today)] += 1
    order = list(Urgency)
    chart, slot, unit = _frame([str(labels.URGENCY[u].label) for u in order], max(counts.values(), default=0))
    for i, urgency in enumerate(order):
        n = counts[urgency]
        if n:
            height = n * unit
            chart.bars.append(
                Bar(
                    LEFT + slot * i + slot * 0.2,
                    chart.base - height,
                    slot * 0.6,
                    height,
                    f"tone-fill-{labels.URGENCY[urgency].tone}",
                    f"{labels.URGENCY[urgency].label}: {n}",
                )
            )
    chart.headers = [_("Urgency"), _("Open requests")]
    chart.rows = [(str(labels.URGENCY[u].label), [str(counts[u])]) for u in order]
    return chart, {u: counts[u] for u in order}
