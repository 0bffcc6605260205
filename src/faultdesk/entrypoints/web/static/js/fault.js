// The fault page (templates/fault.html): forms that swap themselves on a refusal, rows to add
// and remove in a list of cases / results / improvement actions, the reply form's canned texts,
// and the grading form's reason asked for when the suggested severity is overridden.
(function () {
  "use strict";

  // A refused form (422 bad input, 409 wrong moment, 412 changed meanwhile, 403) comes back as the
  // form with its reasons: swap it in like a success, so the reasons stand beside the fields.
  document.addEventListener("htmx:beforeSwap", function (e) {
    var status = e.detail.xhr.status;
    if (status === 422 || status === 409 || status === 412 || status === 403) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });

  function renumber(row, index) {
    row.dataset.index = String(index);
    row.querySelectorAll("[name]").forEach(function (el) {
      el.name = el.name.replace(/\.(\d+)\./, "." + index + ".");
      if (el.id) el.id = el.id.replace(/-(\d+)-/, "-" + index + "-");
    });
    row.querySelectorAll("label[for]").forEach(function (el) {
      el.htmlFor = el.htmlFor.replace(/-(\d+)-/, "-" + index + "-");
    });
  }

  document.addEventListener("click", function (e) {
    var add = e.target.closest && e.target.closest("[data-add-row]");
    if (add) {
      var rows = add.parentElement.querySelector(".rows");
      var last = rows.querySelector(".row:last-of-type");
      if (!last) return;
      var copy = last.cloneNode(true);
      copy.querySelectorAll("input, textarea").forEach(function (el) { el.value = ""; el.removeAttribute("aria-invalid"); });
      copy.querySelectorAll("select").forEach(function (el) { el.selectedIndex = 0; });
      copy.querySelectorAll(".field-error").forEach(function (el) { el.remove(); });
      var next = 0;
      rows.querySelectorAll(".row").forEach(function (r) { next = Math.max(next, Number(r.dataset.index) + 1); });
      renumber(copy, next);
      rows.appendChild(copy);
      var first = copy.querySelector("input, select, textarea");
      if (first) first.focus();
      return;
    }
    var remove = e.target.closest && e.target.closest("[data-remove-row]");
    if (remove) {
      var row = remove.closest(".row");
      var all = row.parentElement.querySelectorAll(".row");
      if (all.length > 1) row.remove();
      else row.querySelectorAll("input, textarea").forEach(function (el) { el.value = ""; });
    }
  });

  // The reply form: choosing a canned text puts it in the box, to edit before sending.
  document.addEventListener("change", function (e) {
    var picker = e.target.closest && e.target.closest("[data-draft-picker]");
    if (picker) {
      var form = picker.closest("form");
      var tpl = form.querySelector('template[data-draft="' + picker.value + '"]');
      var box = form.querySelector("[data-draft-text]");
      if (tpl && box) box.value = tpl.content.textContent;
    }
    if (e.target.name === "severity") overrideReason(e.target.closest("form"));
  });

  // Grading: a severity other than the suggestion needs a reason (the desk refuses it otherwise).
  function overrideReason(form) {
    if (!form || !form.dataset.suggested) return;
    var sev = form.querySelector('select[name="severity"]');
    var reason = form.querySelector('[name="reason"]');
    var note = form.querySelector("[data-override-note]");
    if (!sev || !reason) return;
    var override = sev.value !== "" && sev.value !== form.dataset.suggested;
    reason.required = override;
    if (note) note.classList.toggle("needed", override);
  }
  function init() { document.querySelectorAll("form[data-suggested]").forEach(overrideReason); }
  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("htmx:afterSwap", init);
})();
