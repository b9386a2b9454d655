// Draw every Vega-Lite spec a page carries in a div.chart's data-spec (tooltips; a bar with
// an href opens it). Without the scripts the page still has the table beside the chart.
addEventListener("DOMContentLoaded", () => {
  for (const el of document.querySelectorAll("div.chart[data-spec]")) {
    vegaEmbed(el, JSON.parse(el.dataset.spec), {actions: false, renderer: "svg"})
      .catch(() => { el.textContent = ""; });
  }
});
