// Draw every Vega-Lite spec a page carries in a div.chart's data-spec (tooltips; a bar with
// an href opens it). Without the scripts the page still has the table beside the chart.
// vega-embed and its tooltip would add <style> elements, which the Content-Security-Policy
// refuses: their rules are in /static/charts.css instead.
addEventListener("DOMContentLoaded", () => {
  for (const el of document.querySelectorAll("div.chart[data-spec]")) {
    vegaEmbed(el, JSON.parse(el.dataset.spec), {
      actions: false,
      renderer: "svg",
      defaultStyle: false,
      tooltip: {disableDefaultStyle: true},
    }).catch(() => { el.textContent = ""; });
  }
});
