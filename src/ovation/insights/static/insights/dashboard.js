// Advocacy ROI charts. Data comes from the json_script element (no inline scripts: CSP).
// Animation is off so that print, PDF and screenshots always show complete charts.
(function () {
  const GREEN = "#0b6e4f", GREEN_BAND = "rgba(11,110,79,0.15)";
  const BLUE = "#2563eb", BLUE_BAND = "rgba(37,99,235,0.14)";
  const GREY = "#94a3b8", AMBER = "#d97706";

  function chart(id, config) {
    const canvas = document.getElementById(id);
    if (!canvas) return;
    Chart.getChart(canvas)?.destroy();
    config.options = Object.assign(
      { animation: false, responsive: true, maintainAspectRatio: false },
      config.options || {}
    );
    new Chart(canvas, config);
  }

  function band(label, data, color, fill) {
    return { label: label, data: data, borderWidth: 0, pointRadius: 0, backgroundColor: color,
             fill: fill, spanGaps: true };
  }

  function onlyMain(names) {
    return { labels: { filter: (item) => names.includes(item.text) } };
  }

  function survivalDataset(curve, label, color, bandColor) {
    const pts = (ys) => curve.t.map((t, i) => ({ x: t, y: ys[i] === null ? null : 100 * ys[i] }));
    return [
      Object.assign(band(label + " upper", pts(curve.hi), bandColor, "+1"), { stepped: "before" }),
      Object.assign(band(label + " lower", pts(curve.lo), "transparent", false), { stepped: "before" }),
      { label: label + " (" + curve.n + ")", data: pts(curve.s), borderColor: color,
        backgroundColor: color, borderWidth: 2.5, pointRadius: 0, stepped: "before" },
    ];
  }

  function draw() {
    const el = document.getElementById("insights-chart-data");
    if (!el || typeof Chart === "undefined") return;
    const d = JSON.parse(el.textContent);
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.color = "#334155";

    chart("chart-nps", {
      type: "line",
      data: { labels: d.nps.labels, datasets: [
        band("upper", d.nps.high, GREEN_BAND, "+1"),
        band("lower", d.nps.low, "transparent", false),
        { label: "NPS", data: d.nps.nps, borderColor: GREEN, backgroundColor: GREEN,
          borderWidth: 2.5, pointRadius: 3, tension: 0.25, spanGaps: true },
      ] },
      options: { plugins: { legend: onlyMain(["NPS"]) },
                 scales: { y: { suggestedMin: -20, suggestedMax: 80, title: { display: true, text: "NPS" } } } },
    });

    if (d.advocacy) {
      chart("chart-advocacy", {
        type: "line",
        data: { labels: d.advocacy.labels, datasets: [
          { label: "Contacts who are advocates (%)", data: d.advocacy.contacts, borderColor: GREEN,
            backgroundColor: GREEN, borderWidth: 2.5, pointRadius: 3, tension: 0.25, spanGaps: true },
          { label: "Accounts with an advocate (%)", data: d.advocacy.accounts, borderColor: BLUE,
            backgroundColor: BLUE, borderWidth: 2.5, pointRadius: 3, tension: 0.25, spanGaps: true },
        ] },
        options: { scales: { y: { beginAtZero: true, title: { display: true, text: "%" } } } },
      });
    }

    chart("chart-funnel", {
      type: "bar",
      data: { labels: d.funnel.labels, datasets: [
        { label: "Contacts", data: d.funnel.values,
          backgroundColor: ["#cbd5e1", "#93c5fd", "#60a5fa", "#34d399", GREEN] },
      ] },
      options: { indexAxis: "y", plugins: { legend: { display: false } },
                 scales: { x: { beginAtZero: true } } },
    });

    chart("chart-winrate", {
      type: "bar",
      data: { labels: d.winrate.labels, datasets: [
        { label: "Win rate (%)", data: d.winrate.values, backgroundColor: [GREEN, GREY, AMBER] },
      ] },
      options: { plugins: { legend: { display: false } },
                 scales: { y: { beginAtZero: true, suggestedMax: 60, title: { display: true, text: "% of closed deals won" } } } },
    });

    chart("chart-referrals", {
      type: "bar",
      data: { labels: d.referrals.labels, datasets: [
        { type: "line", label: "Clicks", data: d.referrals.clicks, borderColor: GREY,
          backgroundColor: GREY, yAxisID: "clicks", pointRadius: 2, tension: 0.2 },
        { label: "Leads", data: d.referrals.leads, backgroundColor: BLUE, yAxisID: "leads" },
        { label: "Won", data: d.referrals.won, backgroundColor: GREEN, yAxisID: "leads" },
      ] },
      options: { scales: {
        clicks: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: "clicks" } },
        leads: { position: "left", beginAtZero: true, title: { display: true, text: "leads / won" } },
      } },
    });

    const surv = [];
    if (d.survival.referred.n) surv.push(...survivalDataset(d.survival.referred, "Referred", GREEN, GREEN_BAND));
    if (d.survival.others.n) surv.push(...survivalDataset(d.survival.others, "Not referred", BLUE, BLUE_BAND));
    chart("chart-survival", {
      type: "line",
      data: { datasets: surv },
      options: {
        parsing: true,
        plugins: { legend: { labels: { filter: (item) => !/upper|lower/.test(item.text) } } },
        scales: {
          x: { type: "linear", beginAtZero: true, title: { display: true, text: "months as a customer" } },
          y: { suggestedMin: 50, max: 100, title: { display: true, text: "% still customers" } },
        },
      },
    });

    chart("chart-value", {
      type: "bar",
      data: { labels: d.value.labels, datasets: [
        { label: "Advocate accounts", data: d.value.advocate, backgroundColor: GREEN },
        { label: "Other accounts", data: d.value.other, backgroundColor: GREY },
      ] },
      options: { scales: { y: { beginAtZero: true, title: { display: true, text: "USD per account" } } } },
    });
  }

  function ready() {
    draw();
    document.querySelectorAll("[data-print]").forEach((b) => b.addEventListener("click", () => window.print()));
    // Charts resize to the paper width before printing (and back afterwards).
    window.addEventListener("beforeprint", () => {
      document.querySelectorAll("details.print-open").forEach((x) => x.setAttribute("open", ""));
      Object.values(Chart.instances).forEach((c) => c.resize());
    });
    window.addEventListener("afterprint", () => Object.values(Chart.instances).forEach((c) => c.resize()));
    document.documentElement.dataset.chartsReady = "1";
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
