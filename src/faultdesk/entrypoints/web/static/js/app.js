// FaultDesk console behaviour, shared by every page (no inline script: the CSP forbids it).
// - htmx requests carry the CSRF token from <meta name="csrf-token">;
// - [data-due] elements count down live with the thresholds of web/signals.py;
// - keyboard: j/k move in a list of [data-row], Enter/o open it, / searches, ? shows the help;
// - [data-href] rows open on click; [data-confirm] buttons ask before submitting.
(function () {
  "use strict";
  var lang = document.body.dataset.lang || "zh";
  var AMBER_BELOW_S = 3600, RED_BELOW_S = 1800;

  document.addEventListener("htmx:configRequest", function (e) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) e.detail.headers["X-CSRF-Token"] = meta.content;
  });

  function span(seconds) {
    var minutes = Math.floor(Math.abs(seconds) / 60);
    var d = Math.floor(minutes / 1440), h = Math.floor((minutes % 1440) / 60), m = minutes % 60;
    var zh = [], en = [];
    if (d) { zh.push(d + " 天"); en.push(d + " d"); }
    if (h) { zh.push(h + " 小时"); en.push(h + " h"); }
    if (m || !(d || h)) { zh.push(m + " 分钟"); en.push(m + " min"); }
    return lang === "zh" ? zh.join(" ") : en.join(" ");
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var state = el.dataset.state || "running";
      if (state !== "running") return; // paused and met clocks keep the server's words
      var left = (Date.parse(el.dataset.due) - now) / 1000;
      var tone = left < 0 ? "breached" : left < RED_BELOW_S ? "red" : left < AMBER_BELOW_S ? "amber" : "plain";
      var text = left < 0 ? (lang === "zh" ? "超时 " + span(left) : span(left) + " overdue")
                          : (lang === "zh" ? "剩余 " + span(left) : span(left) + " left");
      if (el.textContent !== text) el.textContent = text;
      el.className = "left " + tone;
    });
  }
  setInterval(tick, 1000);
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSwap", tick);

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-row]")); }
  function selected() { return document.querySelector("[data-row].selected"); }
  function select(el) {
    rows().forEach(function (r) { r.classList.remove("selected"); r.removeAttribute("aria-selected"); });
    if (!el) return;
    el.classList.add("selected"); el.setAttribute("aria-selected", "true");
    el.scrollIntoView({ block: "nearest" });
    if (el.id) sessionStorage.setItem("faultdesk:selected:" + location.pathname, el.id);
  }
  function open(el) {
    if (!el) return;
    var href = el.dataset.href || (el.querySelector("a") || {}).href;
    if (href) location.href = href;
  }
  // A refreshed queue keeps the row the user had selected.
  document.addEventListener("htmx:afterSwap", function () {
    var id = sessionStorage.getItem("faultdesk:selected:" + location.pathname);
    var el = id && document.getElementById(id);
    if (el) { el.classList.add("selected"); el.setAttribute("aria-selected", "true"); }
  });

  var pendingG = false;
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    var typing = t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
    var help = document.getElementById("help");
    if (e.key === "Escape" && typing) { t.blur(); return; }
    if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
    var list = rows(), cur = selected(), i = cur ? list.indexOf(cur) : -1;
    if (pendingG) { pendingG = false; if (e.key === "h") { location.href = "/"; return; } }
    switch (e.key) {
      case "j": select(list[Math.min(i + 1, list.length - 1)]); e.preventDefault(); break;
      case "k": select(list[Math.max(i - 1, 0)]); e.preventDefault(); break;
      case "o": case "Enter": if (cur) { open(cur); e.preventDefault(); } break;
      case "/": var q = document.querySelector("[data-search]"); if (q) { q.focus(); e.preventDefault(); } break;
      case "?": if (help && help.showModal) { help.showModal(); e.preventDefault(); } break;
      case "g": pendingG = true; break;
    }
  });

  document.addEventListener("click", function (e) {
    var target = e.target;
    var confirmer = target.closest && target.closest("[data-confirm]");
    if (confirmer && !window.confirm(confirmer.dataset.confirm)) { e.preventDefault(); return; }
    var row = target.closest && target.closest("[data-href]");
    if (row && !target.closest("a, button, input, select, textarea, label")) open(row);
  });
})();
