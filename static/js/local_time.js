// A visitor has no time zone on the server, which writes a seminar's own clock ("Thu 15 Oct 2026, 18:00
// Europe/Lisbon"). Rewrite every <time data-local-time> in the browser's zone, named the same way, on load
// and on every htmx swap. Signed-in readers' times carry no data-local-time: their profile's zone rules.
(function () {
  var zone, clock;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    clock = new Intl.DateTimeFormat("en-US", {
      timeZone: zone, weekday: "short", day: "numeric", month: "short", year: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    });
  } catch (error) {
    return;  // no usable zone: the server's named clock stays
  }
  function localise(root) {
    root.querySelectorAll("time[data-local-time]").forEach(function (element) {
      var moment = new Date(element.getAttribute("datetime"));
      if (isNaN(moment)) return;
      var part = {};
      clock.formatToParts(moment).forEach(function (piece) { part[piece.type] = piece.value; });
      // The same shape as the server's TIME_FORMAT (apps/seminars/templatetags/seminars.py).
      element.textContent = part.weekday + " " + part.day + " " + part.month + " " + part.year + ", " +
        part.hour + ":" + part.minute + " " + zone.replace(/_/g, " ");
    });
  }
  document.addEventListener("DOMContentLoaded", function () { localise(document); });
  document.addEventListener("htmx:load", function (event) { localise(event.target); });
})();
