/* The campaign progress dashboard's chart (templates/admin/campaigns/campaign/progress.html): completion
   and overdue counts per row, from the JSON the page embeds with json_script. Loaded after Chart.js. */
(function () {
  "use strict";
  var source = document.getElementById("progress-chart-data");
  if (!source || !window.Chart) return;
  var data = JSON.parse(source.textContent);
  if (!data.labels.length) return;
  new window.Chart(document.getElementById("progress-chart"), {
    type: "bar",
    data: { labels: data.labels, datasets: [
      { label: data.labels_text.done, data: data.done, backgroundColor: "#198754", yAxisID: "pct" },
      { label: data.labels_text.overdue, data: data.overdue, backgroundColor: "#dc3545", yAxisID: "count" }
    ] },
    options: { maintainAspectRatio: false, animation: false, scales: {
      pct: { type: "linear", position: "left", min: 0, max: 100 },
      count: { type: "linear", position: "right", beginAtZero: true, grid: { drawOnChartArea: false } }
    } }
  });
})();
