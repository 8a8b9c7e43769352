// Passkeys (WebAuthn): a browser API, so these forms need JavaScript; they stay hidden where it
// (or WebAuthn) is missing, and every other way in works without this file.
(function () {
  "use strict";

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) { base64 += "="; }
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) { binary += String.fromCharCode(bytes[i]); }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function decodeOptions(options) {
    options.challenge = toBytes(options.challenge);
    if (options.user) { options.user.id = toBytes(options.user.id); }
    ["excludeCredentials", "allowCredentials"].forEach(function (key) {
      (options[key] || []).forEach(function (cred) { cred.id = toBytes(cred.id); });
    });
    return options;
  }

  function encodeCredential(cred) {
    var r = cred.response;
    var response = { clientDataJSON: toText(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toText(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = toText(r.authenticatorData);
      response.signature = toText(r.signature);
      response.userHandle = r.userHandle ? toText(r.userHandle) : null;
    }
    return JSON.stringify({
      id: cred.id, rawId: toText(cred.rawId), type: cred.type, response: response,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      authenticatorAttachment: cred.authenticatorAttachment || null
    });
  }

  function showError(form, message) {
    var note = form.querySelector("[data-passkey-error]");
    if (!note) {
      note = document.createElement("p");
      note.className = "error";
      note.setAttribute("role", "alert");
      note.setAttribute("data-passkey-error", "");
      form.insertBefore(note, form.firstChild);
    }
    note.textContent = message;
  }

  function run(form, url, create) {
    var body = new FormData();
    body.append("csrf_token", form.querySelector("[name=csrf_token]").value);
    fetch(url, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (answer) {
        if (!answer.ok) { throw new Error("options"); }
        return answer.json();
      })
      .then(function (data) {
        var publicKey = decodeOptions(data.publicKey);
        return create ? navigator.credentials.create({ publicKey: publicKey })
                      : navigator.credentials.get({ publicKey: publicKey });
      })
      .then(function (cred) {
        form.querySelector("[name=credential]").value = encodeCredential(cred);
        form.submit();
      })
      .catch(function () {
        showError(form, "The passkey wasn't used. Try again, or try another way.");
      });
  }

  function wire(root) {
    if (!window.PublicKeyCredential || !navigator.credentials) { return; }
    root.querySelectorAll("[data-passkey]").forEach(function (el) { el.hidden = false; });
    root.querySelectorAll("[data-no-passkey]").forEach(function (el) { el.hidden = true; });
    root.querySelectorAll("form[data-passkey-get], form[data-passkey-create]").forEach(function (form) {
      if (form.dataset.passkeyWired) { return; }
      form.dataset.passkeyWired = "1";
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var create = form.hasAttribute("data-passkey-create");
        if (create) {
          var name = form.querySelector("[name=name]");
          if (name && !name.value.trim()) { showError(form, "Give the passkey a name, like “MacBook Touch ID”."); return; }
        }
        run(form, form.getAttribute(create ? "data-passkey-create" : "data-passkey-get"), create);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { wire(document); });
  document.addEventListener("htmx:afterSettle", function (event) { wire(event.target); });
}());
