/* django-celery-beat's periodic-task form: shows the chosen crontab in words under the crontab field
   (what the package's inline script did; see templates/admin/djcelery/change_periodictask_form.html). */
(function () {
  "use strict";
  var $ = window.django && window.django.jQuery;
  if (!$) return;
  var readableCrontabs = JSON.parse(document.getElementById("readable-crontabs").textContent);
  var originalHelp = JSON.parse(document.getElementById("crontab-help").textContent);
  $(".field-crontab_translation").hide();
  $(".field-crontab").change(function () {
    var help = $(".field-crontab .help").text(originalHelp);
    help.append(document.createElement("br"), document.createTextNode(
      "Translation: " + (readableCrontabs[$("#id_crontab").val()] || "")));
  });
})();
