// Motivation charts (data from json_script; no inline scripts under the CSP).
document.addEventListener("DOMContentLoaded", () => {
  if (typeof Chart === "undefined") return;
  const read = (id) => {
    const el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  };
  const profile = read("profile-data");
  const profileCanvas = document.getElementById("profile-chart");
  if (profile && profileCanvas) {
    new Chart(profileCanvas, {
      data: {
        labels: profile.labels,
        datasets: [
          { type: "bar", label: "Chance of yes", data: profile.mean, backgroundColor: "#0b6e4f", borderRadius: 4, order: 3 },
          { type: "bar", label: "80% interval", data: profile.low.map((lo, i) => [lo, profile.high[i]]), backgroundColor: "rgba(11,110,79,.18)", barPercentage: 0.25, grouped: false, order: 2 },
          { type: "line", label: "All advocates", data: profile.population, showLine: false, pointRadius: 6, pointStyle: "rectRot", backgroundColor: "#db2777", borderColor: "#db2777", order: 1 },
        ],
      },
      options: {
        indexAxis: "y", animation: false, maintainAspectRatio: false,
        scales: { x: { min: 0, max: 100, title: { display: true, text: "% chance of saying yes" } } },
        plugins: { legend: { position: "bottom" } },
      },
    });
  }
  const cal = read("calibration-data");
  const calCanvas = document.getElementById("calibration-chart");
  if (cal && calCanvas) {
    const mids = cal.labels.map((_, i) => i * 10 + 5);
    new Chart(calCanvas, {
      type: "line",
      data: {
        labels: cal.labels,
        datasets: [
          { label: "Perfect calibration", data: mids, borderColor: "#9ca3af", borderDash: [6, 4], pointRadius: 0 },
          { label: "Mean predicted", data: cal.predicted, borderColor: "#2563eb", backgroundColor: "#2563eb", spanGaps: true },
          { label: "Observed", data: cal.observed, borderColor: "#0b6e4f", backgroundColor: "#0b6e4f", spanGaps: true },
        ],
      },
      options: {
        animation: false, maintainAspectRatio: false,
        scales: { y: { min: 0, max: 100, title: { display: true, text: "% accepted" } }, x: { title: { display: true, text: "predicted probability (decile)" } } },
        plugins: { legend: { position: "bottom" } },
      },
    });
  }
});
