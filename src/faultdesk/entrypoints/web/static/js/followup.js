// Follow-up pages: a row's form answered with an error (422, 403) still swaps its row in, so the
// reason shows beside the field; htmx leaves 4xx answers unswapped unless told.
document.addEventListener("htmx:beforeSwap", function (e) {
  var el = e.detail.elt;
  var status = e.detail.xhr.status;
  if (status >= 400 && status < 500 && el && el.closest && el.closest("[data-swap-errors]")) {
    e.detail.shouldSwap = true;
    e.detail.isError = false;
  }
});
