// The reporter's pages. Everything works without this file; with it:
// - the receipt's copy button copies the tracking link (the field stays selectable without JS);
// - the report form's feature list shows only the chosen product's features.
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
})();
