// The hotline entry form: the function picker offers only the chosen product's functions
// (the server checks the pair again: a function needs its product).
(function () {
  "use strict";
  var product = document.querySelector("select[data-product]");
  var fn = document.querySelector("select[data-function]");
  if (!product || !fn) return;
  function narrow() {
    var chosen = product.value;
    fn.querySelectorAll("optgroup").forEach(function (group) {
      var mine = !chosen || group.dataset.product === chosen;
      group.hidden = !mine;
      group.disabled = !mine;
    });
    var picked = fn.selectedOptions[0];
    if (picked && picked.parentElement.tagName === "OPTGROUP" && picked.parentElement.disabled) fn.value = "";
  }
  product.addEventListener("change", narrow);
  narrow();
})();
