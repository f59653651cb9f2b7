// Draws the analytics charts from the JSON the page embeds. window.paybotCharts
// keeps the Chart objects (the browser test reads their data).
(function () {
  "use strict";
  var el = document.getElementById("chart-data");
  if (!el || typeof Chart === "undefined") { return; }
  var d = JSON.parse(el.textContent);
  var charts = [];
  charts.push(new Chart(document.getElementById("resolve"), {
    type: "line",
    data: {
      labels: d.resolve.labels,
      datasets: [
        { label: "mean", data: d.resolve.mean_hours, borderColor: "#1f6feb", backgroundColor: "#1f6feb" },
        { label: "p90", data: d.resolve.p90_hours, borderColor: "#d1242f", backgroundColor: "#d1242f" }
      ]
    },
    options: { animation: false, responsive: false, scales: { y: { beginAtZero: true, title: { display: true, text: "hours" } } } }
  }));
  charts.push(new Chart(document.getElementById("compliance"), {
    type: "bar",
    data: {
      labels: d.compliance.labels,
      datasets: [
        { label: "response", data: d.compliance.response_pct, backgroundColor: "#1f6feb" },
        { label: "resolution", data: d.compliance.resolution_pct, backgroundColor: "#2da44e" }
      ]
    },
    options: { animation: false, responsive: false, scales: { y: { min: 0, max: 100, title: { display: true, text: "% met" } } } }
  }));
  window.paybotCharts = charts;
})();
