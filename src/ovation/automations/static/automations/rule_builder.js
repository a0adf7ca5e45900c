// Rule builder: show only the inputs that matter for the chosen trigger and each action type.
(function () {
  function sync(root) {
    const trigger = root.querySelector("select[name=trigger]");
    if (trigger) {
      root.querySelectorAll("[data-trigger]").forEach((el) => {
        const on = el.getAttribute("data-trigger").split(" ").includes(trigger.value);
        el.hidden = !on;
      });
    }
    root.querySelectorAll(".action-row").forEach((row) => {
      const select = row.querySelector("select[name$='-type']");
      const kind = select ? select.value : "";
      row.querySelectorAll("[data-action]").forEach((el) => {
        el.hidden = !el.getAttribute("data-action").split(" ").includes(kind);
      });
      row.classList.toggle("is-empty", !kind);
    });
    const frequency = root.querySelector("select[name=frequency]");
    const weekday = root.querySelector("select[name=weekday]");
    if (frequency && weekday && trigger && trigger.value === "schedule") {
      weekday.closest("label").hidden = frequency.value !== "weekly";
    }
  }
  document.addEventListener("DOMContentLoaded", () => {
    const form = document.querySelector(".rule-builder");
    if (!form) return;
    form.addEventListener("change", () => sync(form));
    sync(form);
  });
})();
