// Pulse dashboard charts. Data comes from the json_script element (no inline scripts: CSP).
document.documentElement.classList.add("js");
(function () {
  function draw() {
    const el = document.getElementById("pulse-chart-data");
    if (!el || typeof Chart === "undefined") return;
    const data = JSON.parse(el.textContent);
    const green = "#0b6e4f";
    const npsCanvas = document.getElementById("nps-chart");
    if (npsCanvas) {
      Chart.getChart(npsCanvas)?.destroy();
      new Chart(npsCanvas, {
        type: "line",
        data: {
          labels: data.nps.labels,
          datasets: [
            { label: "upper bound", data: data.nps.high, borderWidth: 0, pointRadius: 0,
              backgroundColor: "rgba(11,110,79,0.14)", fill: "+1", spanGaps: true },
            { label: "lower bound", data: data.nps.low, borderWidth: 0, pointRadius: 0,
              fill: false, spanGaps: true },
            { label: "NPS", data: data.nps.nps, borderColor: green, backgroundColor: green,
              borderWidth: 2, pointRadius: 3, tension: 0.25, spanGaps: true },
          ],
        },
        options: {
          maintainAspectRatio: false,
          interaction: { mode: "index", intersect: false },
          scales: { y: { suggestedMin: -20, suggestedMax: 80, title: { display: true, text: "NPS" } } },
          plugins: {
            legend: { labels: { filter: (item) => item.text === "NPS" } },
            tooltip: {
              callbacks: {
                afterBody: (items) => {
                  const i = items[0].dataIndex;
                  const n = data.nps.responses[i];
                  const lo = data.nps.low[i], hi = data.nps.high[i];
                  return lo === null ? "no responses" : `95% range ${lo} to ${hi} · ${n} responses`;
                },
              },
              filter: (item) => item.dataset.label === "NPS",
            },
          },
        },
      });
    }
    const advCanvas = document.getElementById("advocacy-chart");
    if (advCanvas) {
      Chart.getChart(advCanvas)?.destroy();
      new Chart(advCanvas, {
        type: "line",
        data: {
          labels: data.advocacy.labels,
          datasets: [
            { label: "% of contacts", data: data.advocacy.contacts, borderColor: green,
              backgroundColor: green, tension: 0.25, pointRadius: 2 },
            { label: "% of accounts", data: data.advocacy.accounts, borderColor: "#1d4ed8",
              backgroundColor: "#1d4ed8", tension: 0.25, pointRadius: 2, borderDash: [5, 4] },
          ],
        },
        options: {
          maintainAspectRatio: false,
          interaction: { mode: "index", intersect: false },
          scales: { y: { beginAtZero: true, ticks: { callback: (v) => v + "%" } } },
          plugins: { legend: { labels: { usePointStyle: true, pointStyle: "line" } } },
        },
      });
    }
  }
  document.addEventListener("DOMContentLoaded", draw);
  document.body?.addEventListener("htmx:afterSwap", draw);
})();
