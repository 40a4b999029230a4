// Passkeys on the service's pages: adding one (settings) and signing in with one (sign-in page).
// The options come from the service as JSON (py_webauthn's options_to_json); the browser's answer goes back
// as JSON, with its binary parts in base64url. No inline script: this file is the page's only script.
(function () {
  "use strict";

  function toBytes(b64url) {
    var b64 = b64url.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var raw = atob(b64), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out.buffer;
  }

  function toB64url(buffer) {
    var bytes = new Uint8Array(buffer), raw = "";
    for (var i = 0; i < bytes.length; i++) { raw += String.fromCharCode(bytes[i]); }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function post(url, fields) {
    var body = new URLSearchParams(fields);
    return fetch(url, {method: "POST", body: body, credentials: "same-origin",
                       headers: {"Accept": "application/json"}})
      .then(function (res) {
        return res.json().then(function (data) {
          if (!res.ok) { throw new Error((data.error && data.error.message) || ("failed: " + res.status)); }
          return data;
        });
      });
  }

  function say(id, text) {
    var el = document.getElementById(id);
    if (el) { el.textContent = text; el.hidden = !text; }
  }

  function credentialJSON(cred) {
    var r = cred.response, out = {id: cred.id, rawId: toB64url(cred.rawId), type: cred.type,
                                  clientExtensionResults: cred.getClientExtensionResults(),
                                  authenticatorAttachment: cred.authenticatorAttachment || null, response: {
                                    clientDataJSON: toB64url(r.clientDataJSON)}};
    if (r.attestationObject) {
      out.response.attestationObject = toB64url(r.attestationObject);
      if (r.getTransports) { out.response.transports = r.getTransports(); }
    } else {
      out.response.authenticatorData = toB64url(r.authenticatorData);
      out.response.signature = toB64url(r.signature);
      out.response.userHandle = r.userHandle ? toB64url(r.userHandle) : null;
    }
    return JSON.stringify(out);
  }

  function addPasskey(form) {
    var csrf = form.elements.csrf.value, name = form.elements.name.value;
    say("passkey-message", "");
    post(form.dataset.options, {csrf: csrf}).then(function (options) {
      options.challenge = toBytes(options.challenge);
      options.user.id = toBytes(options.user.id);
      (options.excludeCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
      return navigator.credentials.create({publicKey: options});
    }).then(function (cred) {
      return post(form.action, {csrf: csrf, name: name, credential: credentialJSON(cred)});
    }).then(function () {
      window.location.reload();
    }).catch(function (err) {
      say("passkey-message", "The passkey was not added: " + err.message);
    });
  }

  function signInWithPasskey(button) {
    var csrf = button.dataset.csrf;
    say("passkey-message", "");
    post(button.dataset.options, {csrf: csrf}).then(function (options) {
      options.challenge = toBytes(options.challenge);
      (options.allowCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
      return navigator.credentials.get({publicKey: options});
    }).then(function (cred) {
      return post(button.dataset.action, {csrf: csrf, credential: credentialJSON(cred)});
    }).then(function (answer) {
      window.location.assign(answer.redirect);
    }).catch(function (err) {
      say("passkey-message", "Not signed in: " + err.message);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var supported = !!window.PublicKeyCredential;
    var form = document.getElementById("add-passkey");
    if (form) {
      if (!supported) { say("passkey-message", "This browser cannot make passkeys."); form.hidden = true; }
      form.addEventListener("submit", function (e) { e.preventDefault(); addPasskey(form); });
    }
    var button = document.getElementById("passkey-sign-in");
    if (button) {
      button.hidden = !supported;
      button.addEventListener("click", function () { signInWithPasskey(button); });
    }
  });
}());
