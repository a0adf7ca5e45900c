// Referral pages: editable share text that updates the share buttons, and the funnel chart.
(function () {
  function encode(v) { return encodeURIComponent(v); }

  document.querySelectorAll("[data-share]").forEach(function (card) {
    var textarea = card.querySelector("[data-share-text]");
    if (!textarea) return;
    var email = card.querySelector("[data-share-email]");
    var linkedin = card.querySelector("[data-share-linkedin]");
    var x = card.querySelector("[data-share-x]");
    var copyText = card.querySelector("[data-copy-text]");
    function update() {
      var text = textarea.value;
      if (email) {
        var subject = email.getAttribute("data-subject") || "";
        email.href = "mailto:?subject=" + encode(subject) + "&body=" + encode(text + "\n\n" + email.getAttribute("data-share-email"));
      }
      if (x) x.href = "https://x.com/intent/post?text=" + encode(text) + "&url=" + encode(x.getAttribute("data-share-x"));
      if (linkedin) linkedin.href = "https://www.linkedin.com/sharing/share-offsite/?url=" + encode(linkedin.getAttribute("data-share-linkedin"));
      if (copyText) copyText.setAttribute("data-copy", text + " " + (email ? email.getAttribute("data-share-email").replace("c=email", "c=copy") : ""));
    }
    textarea.addEventListener("input", update);
    update();
  });

  var dataEl = document.getElementById("ref-chart-data");
  var canvas = document.getElementById("ref-chart");
  if (dataEl && canvas && window.Chart) {
    var rows = JSON.parse(dataEl.textContent);
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: rows.map(function (r) { return r.week; }),
        datasets: [
          { type: "line", label: "Clicks", data: rows.map(function (r) { return r.clicks; }), yAxisID: "y1", borderColor: "#8aa6c1", backgroundColor: "#8aa6c1", tension: 0.3, pointRadius: 0 },
          { label: "Leads", data: rows.map(function (r) { return r.leads; }), backgroundColor: "#7fc8a9" },
          { label: "Won", data: rows.map(function (r) { return r.won; }), backgroundColor: "#0b6e4f" }
        ]
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          y: { beginAtZero: true, title: { display: true, text: "Leads / won" } },
          y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, title: { display: true, text: "Clicks" } }
        }
      }
    });
  }
})();
