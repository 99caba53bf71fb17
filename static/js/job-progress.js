/* The progress page of a long job polls its status URL (data-status-url of this script tag) and
   updates the bar, the message and the download link (templates/core/job_detail.html). */
(function () {
  "use strict";
  var url = document.currentScript.dataset.statusUrl;
  var bar = document.getElementById("job-bar"), box = document.getElementById("job-progress");
  var delay = 800;
  function show(s) {
    bar.style.width = s.progress + "%";
    bar.textContent = s.progress + "%";
    box.setAttribute("aria-valuenow", s.progress);
    document.getElementById("job-state").textContent = s.state_display;
    document.getElementById("job-message").textContent = s.message;
    if (s.done || s.failed) {
      // An import's page shows its counts or its errors, rendered by the server: load it once more.
      if (s.reload_when_finished && s.done) { window.location.reload(); return true; }
      bar.classList.remove("progress-bar-striped", "progress-bar-animated");
      bar.classList.add(s.failed ? "bg-danger" : "bg-success");
      if (s.failed) document.getElementById("job-message").classList.add("text-danger");
      if (s.download_url) {
        document.getElementById("job-download-link").href = s.download_url;
        document.getElementById("job-file-name").textContent = s.file_name;
        if (s.expires_display) document.getElementById("job-expires").textContent = s.expires_display;
        document.getElementById("job-download").hidden = false;
      }
      return true;
    }
    return false;
  }
  function poll() {
    fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (s) { if (!show(s)) { delay = Math.min(delay * 1.3, 4000); setTimeout(poll, delay); } })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, delay);
})();
