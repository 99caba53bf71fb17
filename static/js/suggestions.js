/* The suggestion box's public pages, wired by data attributes (the Content-Security-Policy allows no inline
   script). Everything here is a convenience: the pages work without it (counts and checks happen on the server). */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }

  // Proof-of-work algorithms of the ALTCHA widget (its "external" build brings no workers of its own: they are
  // loaded from our origin, as the policy wants). Registered before anyone can tick the box.
  var widget = document.querySelector("altcha-widget[data-worker]");
  if (widget && window.$altcha && window.$altcha.algorithms) {
    var url = widget.getAttribute("data-worker");
    ["PBKDF2/SHA-256", "PBKDF2/SHA-384", "PBKDF2/SHA-512"].forEach(function (name) {
      window.$altcha.algorithms.set(name, function () { return new Worker(url); });
    });
  }

  ready(function () {
    // <textarea data-counter maxlength=N>: "已写 x 字，还可以写 y 字" below it, read out politely.
    document.querySelectorAll("textarea[data-counter]").forEach(function (area) {
      var counter = document.querySelector('[data-counter-for="' + area.id + '"]');
      if (!counter) return;
      var max = parseInt(area.getAttribute("maxlength"), 10) || 2000;
      var template = counter.getAttribute("data-template") || "%(used)s / " + max;
      counter.setAttribute("aria-live", "polite");
      var update = function () {
        var used = area.value.trim().length;
        counter.textContent = template.replace("%(used)s", used).replace("%(left)s", Math.max(0, max - area.value.length));
        counter.classList.toggle("is-over", area.value.length >= max);
      };
      counter.hidden = false;
      area.addEventListener("input", update);
      update();
    });

    // <input type=checkbox data-controls="id">: ticked, the fields inside #id are switched off (anonymous entry).
    document.querySelectorAll("input[type=checkbox][data-controls]").forEach(function (box) {
      var group = document.getElementById(box.getAttribute("data-controls"));
      if (!group) return;
      var apply = function () {
        group.querySelectorAll("input").forEach(function (input) { input.disabled = box.checked; });
      };
      box.addEventListener("change", apply);
      apply();
    });
  });
})();
