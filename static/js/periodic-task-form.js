// The periodic task form of django-celery-beat (admin): says what the chosen crontab means under its field,
// in place of the package's inline script (templates/admin/djcelery/change_periodictask_form.html).
(function () {
  var data = document.getElementById("readable-crontabs");
  var select = document.getElementById("id_crontab");
  var help = document.querySelector(".field-crontab .help");
  if (!data || !select || !help) return;
  var readable = JSON.parse(data.textContent);
  var label = document.currentScript.dataset.label;
  var meaning = document.createElement("div");
  help.appendChild(meaning);
  // The read-only copy of the saved crontab's meaning is redundant once this follows the choice.
  document.querySelectorAll(".field-crontab_translation").forEach(function (row) {
    row.hidden = true;
  });
  function show() {
    var words = readable[select.value];
    meaning.textContent = words ? label + " " + words : "";
  }
  select.addEventListener("change", show);
  show();
})();
