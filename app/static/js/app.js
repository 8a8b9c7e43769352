// Progressive enhancements; every form works without this file.
(function () {
  "use strict";

  // Resend buttons: disabled with a visible countdown while the cooldown runs.
  function startCooldowns(root) {
    root.querySelectorAll("button[data-cooldown]").forEach(function (button) {
      var seconds = parseInt(button.getAttribute("data-cooldown"), 10) || 0;
      var counter = button.parentNode.querySelector("[data-countdown]");
      var unit = button.parentNode.querySelector("[data-countdown-unit]");
      var note = counter ? counter.closest(".countdown") : null;
      if (seconds <= 0 || button.dataset.ticking) { return; }
      button.dataset.ticking = "1";
      button.disabled = true;
      var timer = setInterval(function () {
        seconds -= 1;
        // Seconds under a minute, whole minutes (rounded up) above, as the server wrote them.
        var left = Math.max(seconds, 0);
        if (counter) { counter.textContent = String(left < 60 ? left : Math.ceil(left / 60)); }
        if (unit) { unit.textContent = left < 60 ? "s" : "min"; }
        if (seconds <= 0) {
          clearInterval(timer);
          button.disabled = false;
          delete button.dataset.ticking;
          if (note) { note.hidden = true; }
        }
      }, 1000);
    });
  }

  // WebOTP: let the browser offer the texted code where it can.
  function offerWebOtp(root) {
    if (!("OTPCredential" in window)) { return; }
    root.querySelectorAll("input[data-webotp]").forEach(function (input) {
      var form = input.form;
      var ac = new AbortController();
      if (form) { form.addEventListener("submit", function () { ac.abort(); }); }
      navigator.credentials.get({ otp: { transport: ["sms"] }, signal: ac.signal })
        .then(function (otp) { if (otp && otp.code) { input.value = otp.code; } })
        .catch(function () { /* no code offered: the person types it */ });
    });
  }

  // Recovery codes: copy, download and print without inline handlers (CSP).
  function wireRecoveryButtons(root) {
    root.querySelectorAll("[data-copy-target]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var source = document.getElementById(button.getAttribute("data-copy-target"));
        if (source && navigator.clipboard) {
          navigator.clipboard.writeText(source.textContent.trim()).then(function () {
            button.textContent = "Copied";
          });
        }
      });
    });
    root.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  }

  function enhance(root) {
    startCooldowns(root);
    offerWebOtp(root);
    wireRecoveryButtons(root);
  }

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:load", function (event) { enhance(event.target); });
})();
