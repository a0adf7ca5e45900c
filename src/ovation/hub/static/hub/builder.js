// Challenge builder: show the fields that matter for the chosen type (no inline scripts: CSP).
(function () {
  function sync() {
    const kind = document.getElementById("id_kind");
    if (!kind) return;
    document.querySelectorAll("[data-kinds]").forEach((el) => {
      const kinds = el.getAttribute("data-kinds").split(" ");
      el.hidden = !kinds.includes(kind.value);
    });
  }
  document.addEventListener("DOMContentLoaded", sync);
  document.addEventListener("change", (event) => {
    if (event.target && event.target.id === "id_kind") sync();
  });
})();
