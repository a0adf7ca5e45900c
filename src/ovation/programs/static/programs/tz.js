// Remember the staff member's time zone (from the browser) so event times show in it.
(function () {
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("ovation_tz=" + zone) === -1) {
      document.cookie = "ovation_tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax";
      if (document.body && document.body.hasAttribute("data-tz-reload")) { window.location.reload(); }
    }
  } catch (e) { /* older browsers: event zone only */ }
})();
