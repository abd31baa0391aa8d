// Aceso incidents: live regulatory countdowns, the step-by-step wizard and
// the print button. Progressive enhancement only: without JavaScript the
// server-rendered countdowns and the one-page form work as they are.
"use strict";
(function () {
  // span and countdown follow countdown() in internal/web/incidents.go.
  function span(ms) {
    var m = Math.floor(ms / 60000), days = Math.floor(m / 1440), h = Math.floor(m / 60) % 24, min = m % 60;
    if (days > 0) { return days + " d " + h + " h"; }
    if (h > 0) { return h + " h " + min + " min"; }
    if (min === 0) { return "less than 1 min"; }
    return min + " min";
  }

  function tick() {
    var now = Date.now();
    var clocks = document.querySelectorAll("[data-due]");
    for (var i = 0; i < clocks.length; i++) {
      var el = clocks[i], state = el.getAttribute("data-state");
      if (state === "submitted" || state === "na") { continue; }
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) { continue; }
      var left = due - now, next;
      if (left < 0) {
        el.textContent = "late by " + span(-left);
        next = "late";
      } else {
        el.textContent = "due in " + span(left);
        next = left < 24 * 3600 * 1000 ? "soon" : "pending";
      }
      if (next !== state) {
        el.classList.remove("clock-" + state);
        el.classList.add("clock-" + next);
        el.setAttribute("data-state", next);
      }
    }
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function wizard(form) {
    var zone = form.querySelector("[data-browser-zone]");
    if (zone && (zone.value === "" || zone.value === "UTC") && window.Intl) {
      try { zone.value = Intl.DateTimeFormat().resolvedOptions().timeZone || zone.value; } catch (e) { /* keep UTC */ }
    }
    var aware = form.querySelector("[data-default-now]");
    if (aware && aware.value === "") {
      var d = new Date();
      aware.value = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
    }
    var steps = form.querySelectorAll("fieldset.step");
    if (steps.length < 2) { return; }
    var current = 0;
    function review() {
      var box = document.getElementById("wizard-review");
      if (!box) { return; }
      var dl = document.createElement("dl");
      var fields = form.querySelectorAll("input, select, textarea");
      for (var i = 0; i < fields.length; i++) {
        var f = fields[i];
        if (f.type === "hidden" || f.type === "submit" || f.value === "") { continue; }
        if ((f.type === "checkbox" || f.type === "radio") && !f.checked) { continue; }
        var label = f.labels && f.labels[0] ? f.labels[0].textContent.trim() : f.name;
        var dt = document.createElement("dt"), dd = document.createElement("dd");
        dt.textContent = label;
        dd.textContent = f.tagName === "SELECT" ? f.options[f.selectedIndex].text : (f.type === "checkbox" ? "yes" : f.value);
        dl.appendChild(dt); dl.appendChild(dd);
      }
      box.textContent = "";
      box.appendChild(dl);
    }
    function show(n) {
      current = Math.max(0, Math.min(n, steps.length - 1));
      for (var i = 0; i < steps.length; i++) { steps[i].hidden = i !== current; }
      if (current === steps.length - 1) { review(); }
      var first = steps[current].querySelector("input, select, textarea, button");
      if (first) { first.focus(); }
    }
    for (var i = 0; i < steps.length; i++) {
      var nav = document.createElement("p");
      nav.className = "wizard-nav";
      if (i > 0) {
        var back = document.createElement("button");
        back.type = "button"; back.className = "secondary"; back.textContent = "Back";
        back.addEventListener("click", function () { show(current - 1); });
        nav.appendChild(back);
      }
      if (i < steps.length - 1) {
        var next = document.createElement("button");
        next.type = "button"; next.textContent = "Next";
        next.addEventListener("click", function () {
          // Do not leave a step with an invalid required field.
          var bad = steps[current].querySelector(":invalid");
          if (bad && bad.reportValidity) { bad.reportValidity(); return; }
          show(current + 1);
        });
        nav.appendChild(next);
      }
      steps[i].appendChild(nav);
    }
    // A server-side error re-renders the form: start at the first step.
    show(0);
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    window.setInterval(tick, 30000);
    // Lets a test (or another script) re-run the clocks at once.
    document.addEventListener("aceso:tick", tick);
    var form = document.getElementById("wizard");
    if (form) { wizard(form); }
    var prints = document.querySelectorAll("[data-print]");
    for (var i = 0; i < prints.length; i++) {
      prints[i].addEventListener("click", function () { window.print(); });
    }
  });
})();
