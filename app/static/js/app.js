// Progressive enhancements; every form works without this file.
(function () {
  "use strict";

  // Each element is enhanced once, though htmx:load also fires for the whole page after DOMContentLoaded.
  function fresh(element, name) {
    if (element.dataset[name]) { return false; }
    element.dataset[name] = "1";
    return true;
  }

  // Tell screen readers something once, through the page's own polite live region.
  function announce(text) {
    var region = document.getElementById("announcer");
    if (region) { region.textContent = text; }
  }

  function inWords(seconds) {
    if (seconds < 60) { return seconds + (seconds === 1 ? " second" : " seconds"); }
    var minutes = Math.ceil(seconds / 60);
    return minutes + (minutes === 1 ? " minute" : " minutes");
  }

  // Resend buttons: disabled with a visible countdown while the cooldown runs. The countdown itself is
  // not a live region: a reader hears the wait when it starts and once more when it is over.
  function startCooldowns(root) {
    root.querySelectorAll("button[data-cooldown]").forEach(function (button) {
      var seconds = parseInt(button.getAttribute("data-cooldown"), 10) || 0;
      var counter = button.parentNode.querySelector("[data-countdown]");
      var unit = button.parentNode.querySelector("[data-countdown-unit]");
      var note = counter ? counter.closest(".countdown") : null;
      if (seconds <= 0 || button.dataset.ticking) { return; }
      button.dataset.ticking = "1";
      button.disabled = true;
      announce("Resend code will be available in " + inWords(seconds) + ".");
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
          if (button.isConnected) { announce("Resend code is available now."); }
        }
      }, 1000);
    });
  }

  // WebOTP: let the browser offer the texted code where it can.
  function offerWebOtp(root) {
    if (!("OTPCredential" in window)) { return; }
    root.querySelectorAll("input[data-webotp]").forEach(function (input) {
      if (!fresh(input, "webotpAsked")) { return; }
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
      if (!fresh(button, "wired")) { return; }
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
      if (!fresh(button, "wired")) { return; }
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  }

  function enhance(root) {
    startCooldowns(root);
    offerWebOtp(root);
    wireRecoveryButtons(root);
  }

  // Focus after new content arrives (WCAG 2.4.3, 3.3.1), the one rule for every htmx swap: the first
  // field in error, else an error message, else the field the template marks autofocus (a code), else
  // a message, else the spot the template marks data-focus, else the first field, a heading, or the
  // new content itself. The first two are "urgent": they take focus even from outside the new content.
  var FOCUS_ORDER = [
    "[aria-invalid=true]",
    ".alert-error, [role=alert]",
    "[autofocus]",
    ".alert-success, .alert-info",
    "[data-focus]",
    "input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled])",
    "h1, h2, h3"
  ];
  var URGENT = 2;
  var FOCUSABLE = "a[href], button, input, select, textarea, [tabindex]";

  function shown(element) {
    return element.getClientRects().length > 0;
  }

  function pick(roots, selectors) {
    for (var i = 0; i < selectors.length; i++) {
      for (var j = 0; j < roots.length; j++) {
        var root = roots[j];
        var found = root.matches(selectors[i]) ? [root] : [];
        found = found.concat(Array.prototype.slice.call(root.querySelectorAll(selectors[i])));
        for (var k = 0; k < found.length; k++) {
          if (shown(found[k])) { return found[k]; }
        }
      }
    }
    return null;
  }

  function focusOn(element) {
    if (!element.matches(FOCUSABLE)) { element.setAttribute("tabindex", "-1"); }
    element.focus();
  }

  var settled = [];
  var trigger = null;

  function moveFocus() {
    var roots = settled.filter(function (root) { return root.isConnected; });
    var asked = trigger;
    settled = [];
    trigger = null;
    if (!roots.length) { return; }
    var active = document.activeElement;
    var lost = !active || active === document.body || !active.isConnected;
    var within = roots.some(function (root) { return root.contains(active); });
    // A link or button that brought content elsewhere (a staff action's form) hands focus to it.
    var handed = !!active && active === asked && active.matches("a, button");
    var target = pick(roots, FOCUS_ORDER.slice(0, URGENT));
    if (!target) {
      // Otherwise focus elsewhere stays put (typing in the live search, say); focus lost with the old
      // content moves on.
      if (!lost && !within && !handed) { return; }
      target = pick(roots, FOCUS_ORDER.slice(URGENT)) || roots[0];
    }
    focusOn(target);
  }

  // htmx settles each swapped element in turn; decide once, after the last (out-of-band swaps aside).
  function afterSettle(event) {
    var root = event.target;
    if (!root || root.nodeType !== 1) { return; }
    if (!settled.length) { Promise.resolve().then(moveFocus); }
    settled.push(root);
    trigger = (event.detail && event.detail.requestConfig && event.detail.requestConfig.elt) || trigger;
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
    // A whole page answered with an error (a form sent without htmx, a reload) starts at the error;
    // otherwise the page's own autofocus (the code field) or its top.
    var main = document.getElementById("main");
    var target = main ? pick([main], FOCUS_ORDER.slice(0, URGENT)) : null;
    if (target) { focusOn(target); }
  });
  document.addEventListener("htmx:load", function (event) { enhance(event.target); });
  document.addEventListener("htmx:afterSettle", afterSettle);
})();
