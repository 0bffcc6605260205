// The template page's live preview: htmx posts the form as one types and swaps #preview. A
// template the sandbox refuses answers 422 with the reason in the same fragment: show it too.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (e) {
    var target = e.detail.target;
    if (e.detail.xhr.status === 422 && target && target.id === "preview") {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });
})();
