// Pool health: usage histogram (data from json_script, CSP-safe).
document.addEventListener("DOMContentLoaded", () => {
  const el = document.getElementById("usage-data");
  const canvas = document.getElementById("usage-chart");
  if (!el || !canvas || typeof Chart === "undefined") return;
  const data = JSON.parse(el.textContent);
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [{ label: "references", data: data.values, backgroundColor: "#0b6e4f" }],
    },
    options: {
      animation: false,
      plugins: { legend: { display: false } },
      scales: {
        x: { title: { display: true, text: "asks in the last 12 months" } },
        y: { title: { display: true, text: "references" }, beginAtZero: true },
      },
    },
  });
});
