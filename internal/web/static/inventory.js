// Aceso inventory: upload progress for large files. Forms marked
// data-progress are sent with XMLHttpRequest so that the <progress> inside
// them can show how much of the file has gone up; the answer (the preview
// page, an error page, or the page a redirect leads to) then replaces the
// page as a normal submission would. Without JavaScript, or without
// XMLHttpRequest/FormData, the plain form submission is used unchanged.
"use strict";
(function () {
  if (!window.XMLHttpRequest || !window.FormData || !window.DOMParser) { return; }

  function show(xhr) {
    var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
    if (!doc.body) { window.location.assign(xhr.responseURL || window.location.href); return; }
    document.title = doc.title;
    document.body.replaceWith(document.adoptNode(doc.body));
    var url = xhr.responseURL;
    // A redirect (the device page after an SBOM upload) moves the address
    // bar too; the preview answers the POST itself and keeps the address.
    if (url && url !== window.location.href && xhr.status === 200 && url.indexOf(window.location.origin + "/") === 0 &&
        new URL(url).pathname !== new URL(window.location.href).pathname) {
      window.history.pushState(null, "", url);
    }
    window.scrollTo(0, 0);
    var first = document.querySelector("h1");
    if (first) { first.setAttribute("tabindex", "-1"); first.focus(); }
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.hasAttribute || !form.hasAttribute("data-progress") || ev.defaultPrevented) { return; }
    var bar = form.querySelector("progress");
    var button = form.querySelector("button[type=submit]");
    ev.preventDefault();
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.addEventListener("progress", function (e) {
      if (bar && e.lengthComputable) {
        bar.max = e.total;
        bar.value = e.loaded;
        bar.textContent = Math.round(100 * e.loaded / e.total) + "%";
      }
    });
    xhr.upload.addEventListener("load", function () {
      // The file is up; the server now reads and checks it.
      if (bar) { bar.removeAttribute("value"); }
      if (button) { button.textContent = "Checking the file…"; }
    });
    xhr.addEventListener("load", function () { show(xhr); });
    xhr.addEventListener("error", function () {
      // Network failure: fall back to the plain submission, which reports it.
      form.removeAttribute("data-progress");
      if (button) { button.disabled = false; }
      form.submit();
    });
    if (bar) { bar.hidden = false; bar.value = 0; }
    if (button) { button.disabled = true; }
    form.setAttribute("aria-busy", "true");
    xhr.send(new FormData(form));
  });
}());
