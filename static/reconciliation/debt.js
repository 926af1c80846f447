// The reconciliation debt trend: open discrepancies at the end of each of the last 30 days.
(function () {
  const data = JSON.parse(document.getElementById("debt-trend").textContent);
  const canvas = document.getElementById("debt-chart");
  if (!canvas || typeof Chart === "undefined") return;
  new Chart(canvas, {
    type: "line",
    data: {
      labels: data.map((p) => p.day),
      datasets: [
        { label: "Open discrepancies", data: data.map((p) => p.count), yAxisID: "count", borderColor: "#c0392b" },
        { label: "Value (base)", data: data.map((p) => Number(p.value)), yAxisID: "value", borderColor: "#2c6fbb" },
      ],
    },
    options: {
      animation: false,
      scales: {
        count: { position: "left", beginAtZero: true, ticks: { precision: 0 } },
        value: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false } },
      },
    },
  });
})();
