// After a form error: a summary at the top of the form lists the fields to correct, each a link to its field, and
// takes the focus so a screen reader reads it and a keyboard starts there; password fields say they were cleared.
// The words come from the <template> elements of base.html (translated on the server).
(function () {
  var titleTemplate = document.getElementById("error-summary-title");
  var clearedTemplate = document.getElementById("password-cleared-note");
  if (!titleTemplate) return;
  var first = null;
  document.querySelectorAll("main form").forEach(function (form) {
    var invalid = form.querySelectorAll(".is-invalid, [aria-invalid='true']");
    var general = form.querySelectorAll(".alert-danger, .non-field-errors, .errorlist.nonfield");
    if (!invalid.length && !general.length) return;
    var summary = document.createElement("div");
    summary.className = "alert alert-danger error-summary";
    summary.setAttribute("role", "alert");
    summary.tabIndex = -1;
    var heading = document.createElement("p");
    heading.className = "fw-bold mb-1";
    heading.textContent = titleTemplate.content.textContent.trim();
    summary.appendChild(heading);
    var list = document.createElement("ul");
    list.className = "mb-0";
    var seen = {};
    general.forEach(function (box) {
      var item = document.createElement("li");
      item.textContent = box.textContent.trim();
      list.appendChild(item);
    });
    invalid.forEach(function (field) {
      if (!field.id || seen[field.name || field.id]) return;
      seen[field.name || field.id] = true;
      var label = form.querySelector("label[for='" + field.id + "']") || field.closest("fieldset");
      var name = label ? (label.querySelector("legend") || label).textContent.replace("*", "").trim() : field.name;
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "#" + field.id;
      link.textContent = name;
      link.addEventListener("click", function (event) { event.preventDefault(); field.focus(); });
      item.appendChild(link);
      list.appendChild(item);
    });
    summary.appendChild(list);
    general.forEach(function (box) { box.remove(); });
    form.insertBefore(summary, form.firstChild);
    if (clearedTemplate) {
      form.querySelectorAll("input[type='password']").forEach(function (field) {
        var note = document.createElement("div");
        note.className = "form-text password-cleared";
        note.textContent = clearedTemplate.content.textContent.trim();
        field.insertAdjacentElement("afterend", note);
        field.setAttribute("aria-describedby", ((field.getAttribute("aria-describedby") || "") + " " + (field.id + "-cleared")).trim());
        note.id = field.id + "-cleared";
      });
    }
    if (!first) first = summary;
  });
  if (first) first.focus();
})();
