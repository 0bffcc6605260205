// The queue refreshes its rows every 15 s: htmx polls /queue/rows and replaces the tbody only, so
// the filter form (its values, its focus, what is being typed) is never touched. A refresh waits
// while focus is on a row's link (it would be replaced under the user) or the tab is hidden.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeRequest", function (e) {
    var elt = e.detail && e.detail.elt;
    if (!elt || elt.id !== "queue-rows") return;
    var active = document.activeElement;
    if (document.hidden || (active && active.closest && active.closest("#queue-rows"))) e.preventDefault();
  });
})();
