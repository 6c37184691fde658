// The one confirm step: a form marked data-confirm="…" asks once, in the <dialog> of base.html, before it posts.
// A static file because the Content-Security-Policy refuses inline scripts and handlers. Without JavaScript (or
// without <dialog>) the form posts as before: the server never relies on this step.
(function () {
  var dialog = document.getElementById("confirm-dialog");
  if (!dialog || typeof dialog.showModal !== "function") return;
  var message = document.getElementById("confirm-dialog-message");
  var ok = document.getElementById("confirm-dialog-ok");
  var okDefault = ok.textContent;
  var onConfirm = null;

  function ask(element, proceed) {
    message.textContent = element.dataset.confirm;
    ok.textContent = element.dataset.confirmOk || okDefault;
    onConfirm = proceed;
    dialog.returnValue = "";
    dialog.showModal();
  }

  dialog.addEventListener("close", function () {
    var proceed = onConfirm;
    onConfirm = null;
    if (proceed && dialog.returnValue === "confirm") proceed();
  });

  // Plain forms: held in the capture phase, before any other handler sees the submit, and sent again once confirmed.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.confirm || form.hasAttribute("hx-post")) return;
    if (form.dataset.confirmed === "1") {
      delete form.dataset.confirmed;
      return;
    }
    event.preventDefault();
    event.stopPropagation();
    var submitter = event.submitter;
    ask(form, function () {
      form.dataset.confirmed = "1";
      if (submitter && submitter.form === form) form.requestSubmit(submitter);
      else form.requestSubmit();
    });
  }, true);

  // Forms sent by htmx: htmx asks through its own htmx:confirm event, and sends when told to.
  document.addEventListener("htmx:confirm", function (event) {
    var element = event.detail.elt;
    if (!element || !element.dataset || !element.dataset.confirm) return;
    event.preventDefault();
    ask(element, function () { event.detail.issueRequest(true); });
  });
})();
