// Concord's only script: progressive enhancements. Every page works
// without it; the Content-Security-Policy allows no inline script, so all
// behaviour hangs on data- attributes.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // Ask before a destructive or irreversible action: <form data-confirm="...">.
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm(f.getAttribute("data-confirm"))) { e.preventDefault(); }
    });
  });
  // Show upload progress: <form data-progress="ID of a <progress>">.
  document.querySelectorAll("form[data-progress]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      var bar = document.getElementById(f.getAttribute("data-progress"));
      if (!bar || !window.XMLHttpRequest || !window.FormData) { return; }
      e.preventDefault();
      var x = new XMLHttpRequest();
      x.open(f.method, f.action);
      bar.hidden = false;
      x.upload.addEventListener("progress", function (p) {
        if (p.lengthComputable) { bar.max = p.total; bar.value = p.loaded; }
      });
      x.addEventListener("load", function () {
        // The server answers a finished upload by redirecting to the
        // run's page; go there (an error page is shown the same way).
        window.location.assign(x.responseURL || f.action);
      });
      x.addEventListener("error", function () { f.submit(); });
      x.send(new FormData(f));
    });
  });
  // Copy a value to the clipboard: <button data-copy="text">.
  document.querySelectorAll("button[data-copy]").forEach(function (b) {
    b.addEventListener("click", function () {
      if (navigator.clipboard) { navigator.clipboard.writeText(b.getAttribute("data-copy")); b.textContent = "Copied"; }
    });
  });
});
