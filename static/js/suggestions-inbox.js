/* The firm's inbox: choosing a reply template fills the reply with its text (the option carries it in
   data-template-text); text typed by hand is kept and the template added after it. Without JavaScript the form's "填入模板" button does the same on the server;
   with it, that button is hidden. No inline script: CSP allows scripts from our origin only. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  function ready(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }
  ready(function () {
    document.querySelectorAll("select[data-template-source]").forEach(function (select) {
      var form = select.form;
      var target = form && form.querySelector('textarea[data-template-target="' + select.dataset.templateSource + '"]');
      if (!target) return;
      select.addEventListener("change", function () {
        var option = select.options[select.selectedIndex];
        var text = option && option.dataset.templateText;
        if (text === undefined) return;
        // Replace an empty reply or another template's text; words typed by hand are kept (appended to).
        var current = target.value.trim();
        var templates = [].map.call(select.options, function (o) { return (o.dataset.templateText || "").trim(); });
        target.value = !current || templates.indexOf(current) >= 0 ? text : target.value.replace(/\s+$/, "") + "\n" + text;
        target.focus();
      });
    });
  });
})();
