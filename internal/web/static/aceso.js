// Aceso: progressive enhancement only; every form works without JavaScript.
"use strict";
document.addEventListener("submit", function (ev) {
  var f = ev.target;
  var msg = f.getAttribute && f.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) { ev.preventDefault(); }
});

// Parts of a form that apply to one TLP label only (the people picker of
// TLP:RED, the recipient organisations of every other label) follow the
// label select named by data-tlp-for. Without JavaScript both stay visible
// and the server ignores the part that does not apply.
document.addEventListener("DOMContentLoaded", function () {
  var parts = document.querySelectorAll("[data-tlp-for]");
  for (var i = 0; i < parts.length; i++) {
    (function (part) {
      var select = document.getElementById(part.getAttribute("data-tlp-for"));
      if (!select) { return; }
      var forRed = part.getAttribute("data-tlp-show") === "red";
      function sync() { part.hidden = (select.value === "TLP:RED") !== forRed; }
      select.addEventListener("change", sync);
      sync();
    })(parts[i]);
  }
});
