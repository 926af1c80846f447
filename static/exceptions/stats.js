// The 30-day trend on the counts page, from the JSON the view put in #trend-data.
document.addEventListener("DOMContentLoaded", () => {
  const data = JSON.parse(document.getElementById("trend-data").textContent);
  const canvas = document.getElementById("trend-chart");
  if (!canvas || typeof Chart === "undefined") return;
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        { label: "Opened", data: data.opened, backgroundColor: "#c0262d" },
        { label: "Closed", data: data.closed, backgroundColor: "#17803d" },
      ],
    },
    options: { responsive: true, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
});

// Choosing a team reloads the page with that team's trend.
document.addEventListener("change", (event) => {
  if (event.target.id === "trend-team") event.target.form.submit();
});
