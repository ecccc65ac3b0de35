"""Charts for reports: matplotlib (Agg, no display) PNGs whose Chinese labels use a real CJK font.

matplotlib's default font (DejaVu Sans) has no Chinese glyphs and would draw empty boxes, so
every chart names the font file explicitly (`[charts] font_file`, Debian's fonts-wqy-microhei,
installed by scripts/install.sh). A missing font is a `ChartError`, never a chart of boxes.
Used by the weekly report (R4); the supervision report and the survey reuse it.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from careops.errors import CareopsError


class ChartError(CareopsError):
    """A chart cannot be drawn (font file missing, glyphs missing, bad data)."""


@dataclass(frozen=True)
class BarChart:
    title: str
    labels: Sequence[str]
    values: Sequence[float | None]  # None: no bar (e.g. nobody expected)
    y_label: str = ""
    y_max: float | None = None
    value_format: str = "{:.0f}"
    highlight_last: bool = False


@lru_cache
def _font(path: str):
    from matplotlib import font_manager

    if not Path(path).is_file():
        raise ChartError(
            f"chart font {path} is missing: install fonts-wqy-microhei (scripts/install.sh) "
            "or set [charts] font_file to a font with Chinese glyphs"
        )
    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path)


def bar_chart_png(chart: BarChart, font_file: Path, *, width: float = 6.4,
                  height: float = 3.2, dpi: int = 110) -> bytes:
    """The chart as PNG bytes. Raises ChartError when the font cannot draw a label."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if len(chart.labels) != len(chart.values):
        raise ChartError(f"chart {chart.title!r}: {len(chart.labels)} labels, "
                         f"{len(chart.values)} values")
    font = _font(str(font_file))
    figure = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(chart.values)))
    heights = [v if v is not None else 0.0 for v in chart.values]
    colours = ["#c8d6e5"] * len(heights)
    if chart.highlight_last and colours:
        colours[-1] = "#2e86de"
    bars = axes.bar(positions, heights, color=colours, width=0.6)
    for bar, value in zip(bars, chart.values, strict=True):
        text = "–" if value is None else chart.value_format.format(value)
        axes.annotate(text, (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                      ha="center", va="bottom", fontproperties=font, fontsize=9,
                      xytext=(0, 2), textcoords="offset points")
    axes.set_xticks(positions, list(chart.labels), fontproperties=font, fontsize=9)
    axes.set_title(chart.title, fontproperties=font, fontsize=12)
    if chart.y_label:
        axes.set_ylabel(chart.y_label, fontproperties=font, fontsize=9)
    if chart.y_max is not None:
        axes.set_ylim(0, chart.y_max * 1.12)
    for label in axes.get_yticklabels():
        label.set_fontproperties(font)
    axes.spines[["top", "right"]].set_visible(False)
    buffer = io.BytesIO()
    with warnings.catch_warnings(record=True) as caught:  # matplotlib warns of missing glyphs
        warnings.simplefilter("always")
        figure.tight_layout()
        figure.savefig(buffer, format="png")
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    if missing:
        raise ChartError(f"chart {chart.title!r}: {missing[0]} ({font_file})")
    return buffer.getvalue()
