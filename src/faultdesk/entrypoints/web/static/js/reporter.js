// The reporter's pages. Everything works without this file; with it:
// - the receipt's copy button copies the tracking link (the field stays selectable without JS);
// - the report form's feature list shows only the chosen product's features;
// - while the symptom is typed (from 3 characters, 400 ms after the last key) the form shows the
//   public known issues and help articles that match (GET /report/suggestions), each suggestion
//   counted once per form: the keys already shown go back as "counted".
(function () {
  "use strict";
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.dataset.copy);
    var status = document.querySelector(".copy-status");
    if (!field) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      field.select();
      var done = function () { if (status) status.textContent = button.dataset.copied; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
      } else {
        document.execCommand("copy");
        done();
      }
    });
  });

  var product = document.getElementById("product");
  var feature = document.getElementById("function");
  if (product && feature) {
    var show = function () {
      feature.querySelectorAll("optgroup").forEach(function (group) {
        var mine = !product.value || group.dataset.product === product.value;
        group.hidden = !mine;
        group.disabled = !mine;
      });
      var chosen = feature.selectedOptions[0];
      if (chosen && chosen.parentElement.disabled) feature.value = "";
    };
    product.addEventListener("change", show);
    show();
  }

  var box = document.getElementById("deflection");
  var symptom = document.getElementById("symptom");
  if (box && symptom) {
    var counted = [];
    var asked = "";
    var timer = null;
    var embed = /(?:^|[?&])embed=1(?:&|$)/.test(window.location.search) ? "&embed=1" : "";
    var ask = function () {
      var text = symptom.value.trim();
      if (text.length < 3) {
        asked = "";
        box.innerHTML = "";
        return;
      }
      if (text === asked) return;
      asked = text;
      var url = box.dataset.suggest + "?symptom=" + encodeURIComponent(text) +
        "&counted=" + encodeURIComponent(counted.join(",")) + embed;
      fetch(url, { headers: { "Accept": "text/html" }, credentials: "same-origin" })
        .then(function (res) { return res.status === 200 ? res.text() : ""; })
        .then(function (html) {
          if (text !== symptom.value.trim()) return; // typed on meanwhile: a newer answer is coming
          box.innerHTML = html;
          box.querySelectorAll("[data-key]").forEach(function (item) {
            if (counted.indexOf(item.dataset.key) < 0) counted.push(item.dataset.key);
          });
        })
        .catch(function () { box.innerHTML = ""; });
    };
    symptom.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, 400);
    });
    ask(); // the form shown again (a 422) keeps its symptom: its suggestions come back too
  }
})();
