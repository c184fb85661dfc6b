"""Small charts drawn on the server as SVG: no script, nothing from elsewhere."""

from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Series drawn bottom to top, with colours close to the admin's own.
SERIES = [
    ("accepted", gettext_lazy("accepted"), "#3a8a4f"),
    ("failed", gettext_lazy("failed"), "#ba2121"),
    ("in_progress", gettext_lazy("in progress"), "#8a8a8a"),
]
WIDTH, HEIGHT, BAR_GAP = 600, 120, 2


def daily_outcomes_svg(days: list[dict]) -> SafeString:
    """A stacked bar per day: accepted, failed, still in progress."""
    tallest = max((sum(day[key] for key, *_ in SERIES) for day in days), default=0)
    scale = (HEIGHT - 4) / tallest if tallest else 0
    bar_width = WIDTH / max(len(days), 1)

    bars = []
    for index, day in enumerate(days):
        x = index * bar_width
        top = HEIGHT
        label = date_format(day["day"], "SHORT_DATE_FORMAT")
        for key, label_of_series, colour in SERIES:
            height = day[key] * scale
            if not height:
                continue
            top -= height
            bars.append(
                (
                    f"{x:.1f}",
                    f"{top:.1f}",
                    f"{bar_width - BAR_GAP:.1f}",
                    f"{height:.1f}",
                    colour,
                    f"{label}: {day[key]} {label_of_series}",
                )
            )

    rects = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>',
        bars,
    )
    return format_html(
        '<svg class="daily-outcomes" viewBox="0 0 {} {}" width="{}" height="{}" '
        'role="img" aria-label="{}">{}</svg>',
        WIDTH,
        HEIGHT,
        WIDTH,
        HEIGHT,
        _("Submissions of the last 30 days by outcome"),
        rects,
    )
