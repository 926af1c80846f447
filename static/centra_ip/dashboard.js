// The dashboard's two 30-day charts, from the JSON the view put in #dashboard-charts.
document.addEventListener("DOMContentLoaded", () => {
  if (typeof Chart === "undefined") return;
  const data = JSON.parse(document.getElementById("dashboard-charts").textContent);
  const options = {
    responsive: true,
    scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
  };
  new Chart(document.getElementById("runs-chart"), {
    type: "bar",
    data: {
      labels: data.runs.labels,
      datasets: [
        { label: "Succeeded", data: data.runs.succeeded, backgroundColor: "#17803d" },
        { label: "Held", data: data.runs.held, backgroundColor: "#d68a00" },
        { label: "Failed", data: data.runs.failed, backgroundColor: "#c0262d" },
      ],
    },
    options,
  });
  new Chart(document.getElementById("tickets-chart"), {
    type: "bar",
    data: {
      labels: data.tickets.labels,
      datasets: [
        { label: "Opened", data: data.tickets.opened, backgroundColor: "#c0262d" },
        { label: "Closed", data: data.tickets.closed, backgroundColor: "#17803d" },
      ],
    },
    options: { responsive: true, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
});
