/* The in-lieu lot draw page (AUC-36, APR-03): make a random secret and its SHA-256 commitment
   in the browser, so the secret never reaches the server before the reveal. */
(function () {
  "use strict";
  function hex(buf) {
    return Array.prototype.map.call(new Uint8Array(buf), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }
  Array.prototype.forEach.call(document.querySelectorAll(".commit-form"), function (form) {
    var btn = form.querySelector(".gen-secret");
    var note = form.querySelector(".gen-note");
    btn.addEventListener("click", function () {
      var bytes = new Uint8Array(32);
      window.crypto.getRandomValues(bytes);
      var secret = hex(bytes);
      form.querySelector(".secret-out").value = secret;
      if (!window.crypto.subtle) {
        note.textContent = form.getAttribute("data-no-subtle") || "";
        return;
      }
      window.crypto.subtle.digest("SHA-256", new TextEncoder().encode(secret)).then(function (d) {
        form.querySelector(".commitment-out").value = hex(d);
        note.textContent = form.getAttribute("data-saved-note") || "";
      });
    });
  });
})();
