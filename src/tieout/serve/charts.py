"""Charts as Vega-Lite specs built with Altair: the page embeds the spec (tooltips; a click
on a bar opens what it stands for, through Vega-Lite's href channel), reports draw the same
spec to SVG with vl-convert. The Vega, Vega-Lite and vega-embed scripts come from
vl-convert's own bundle, so nothing loads from the internet."""

from __future__ import annotations

import functools
from typing import Any

import altair as alt
import vl_convert


def split_bars(rows: list[dict[str, Any]], title: str, currency: str) -> dict[str, Any]:
    """One horizontal bar per row (label, value, href), in the order given."""
    frame = [
        {"label": r["label"], "value": float(r["value"]), "href": r.get("href") or ""} for r in rows
    ]
    chart = (
        alt.Chart({"values": frame}, title=title)
        .mark_bar(cursor="pointer")
        .encode(
            y=alt.Y("label:N", sort=None, title=None, axis=alt.Axis(labelLimit=220)),
            x=alt.X("value:Q", title=currency),
            color=alt.condition("datum.value < 0", alt.value("#b3261e"), alt.value("#2f6690")),
            tooltip=[
                alt.Tooltip("label:N", title="What"),
                alt.Tooltip("value:Q", title=currency, format=",.2f"),
            ],
            href="href:N",
        )
        .properties(width="container", height=max(120, 18 * len(frame)))
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


@functools.cache
def vega_bundle() -> str:
    """vega-embed, Vega-Lite and Vega as one script (built once per process)."""
    bundle = vl_convert.javascript_bundle  # its stub wants a snippet; the default is none
    return str(bundle())  # type: ignore[call-arg]
