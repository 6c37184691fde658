// The "print" button of the introduction letter. It stays hidden without JavaScript, where the browser's own
// print command does the same; window.print is looked up at each click so a test can stand in for it.
document.querySelectorAll("button.js-print").forEach(function (button) {
  button.addEventListener("click", function () {
    window.print();
  });
  button.hidden = false;
});
