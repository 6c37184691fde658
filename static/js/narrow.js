// Choosing a district (or street, or unit group) re-posts the form to narrow the next list.
// Without JavaScript the member presses the visible "show" button instead; the result is the same.
document.querySelectorAll("button.js-narrow").forEach(function (button) {
  var select = button.form && button.form.elements[button.dataset.narrows];
  if (!select) return;
  button.hidden = true;
  select.addEventListener("change", function () {
    button.form.requestSubmit(button);
  });
});
