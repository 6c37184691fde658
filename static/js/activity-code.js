// A changing check-in code (the organiser's, or a member's own for the organiser to scan): counts down the seconds
// of the 30-second window and fetches the next code (digits, if shown, and QR code) when it changes. The server
// computes every code; this script only shows it.
(function () {
  var box = document.getElementById("activity-code");
  if (!box) return;
  var digits = document.getElementById("code-digits");
  var qr = document.getElementById("code-qr");
  var seconds = document.getElementById("code-seconds");
  var left = parseInt(seconds.textContent, 10) || 30;

  function refresh() {
    fetch(box.dataset.url, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (data) {
        if (digits) digits.textContent = data.code;
        qr.innerHTML = data.qr; // SVG drawn by the server (communities.qr): a path, no script
        left = data.seconds_left;
        seconds.textContent = left;
      })
      .catch(function () { left = 2; }); // try again shortly
  }

  setInterval(function () {
    left -= 1;
    if (left <= 0) {
      refresh();
    } else {
      seconds.textContent = left;
    }
  }, 1000);
})();
