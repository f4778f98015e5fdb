// Keeps a page about background work up to date: asks the server how far the work
// is and shows it; when it has ended, loads the page again, which shows the result.
(function () {
  "use strict";
  var box = document.querySelector("[data-status-url]");
  if (!box) { return; }
  var bar = box.querySelector("progress");
  var stage = box.querySelector("[data-stage]");
  var figure = box.querySelector("[data-percent]");
  var hint = document.querySelector("[data-reload-hint]");
  if (hint) { hint.hidden = true; }
  function poll() {
    fetch(box.getAttribute("data-status-url"), { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        if (!status) { window.setTimeout(poll, 3000); return; }
        if (status.done || status.failed) { window.location.assign(status.url); return; }
        if (status.percent === null || status.percent === undefined) {
          bar.removeAttribute("value");  // how far is not known: an indeterminate bar
        } else {
          bar.value = status.percent;
          bar.textContent = status.percent + " %";
        }
        stage.textContent = status.stage;
        if (figure) { figure.textContent = status.percent; }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
})();
