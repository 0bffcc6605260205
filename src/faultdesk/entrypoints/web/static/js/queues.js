// The queue refreshes its rows every 15 s: htmx polls /queue/rows and replaces the tbody and (out of
// band) the tabs with their counts only, so the filter form (its values, its focus, what is being
// typed) is never touched. A refresh waits while focus is on a row or a tab (it would be replaced
// under the user) or the browser tab is hidden.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeRequest", function (e) {
    var elt = e.detail && e.detail.elt;
    if (!elt || elt.id !== "queue-rows") return;
    var active = document.activeElement;
    if (document.hidden || (active && active.closest && (active.closest("#queue-rows") || active.closest("#queue-tabs")))) e.preventDefault();
  });
})();
