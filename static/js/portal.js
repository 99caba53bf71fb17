/* Small behaviours of the portal, the public pages and the admin, wired by data attributes.
   Kept out of the templates: the Content-Security-Policy allows scripts from our own origin only
   (script-src 'self'), so no inline <script> and no onclick=/onchange= attributes. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }

  ready(function () {
    // <select data-autosubmit>: choosing an option submits its form (language switch, list filters).
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });

    // <input type="checkbox" data-check-all="ids">: ticks or clears every checkbox named "ids" of its form.
    document.querySelectorAll("input[data-check-all]").forEach(function (box) {
      box.addEventListener("change", function () {
        var scope = box.form || document;
        scope.querySelectorAll('input[type="checkbox"][name="' + box.dataset.checkAll + '"]').forEach(function (c) {
          c.checked = box.checked;
        });
      });
    });
  });
})();
