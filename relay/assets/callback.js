"use strict";
(function () {
  // Must match the wizard: it listens on this channel and answers with an ack.
  var CHANNEL_NAME = "oauth-token-wizard";
  var ACK_WAIT_MS = 1500;

  function byId(id) { return document.getElementById(id); }

  // Values come from whoever built this URL: render them as text only, and make control and
  // bidi-override characters visible so they cannot hide or reorder what the user reads.
  function visible(text) {
    return String(text).replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, "\ufffd");
  }

  // Parameters arrive in the query (code flow) or, after a form_post or a fragment response,
  // in the fragment.
  var params = new URLSearchParams(location.search);
  new URLSearchParams(location.hash.replace(/^#/, "")).forEach(function (value, name) {
    if (!params.has(name)) { params.set(name, value); }
  });

  var message = { type: "oauth-callback", url: location.href };
  var acknowledged = false;

  function onAck(data) {
    if (acknowledged || !data || data.type !== "oauth-callback-ack") { return; }
    acknowledged = true;
    byId("status").textContent = "The wizard received the response. You can close this tab.";
    ["error-box", "code-box", "nothing-box"].forEach(function (id) { byId(id).hidden = true; });
  }

  var channel = null;
  try {
    channel = new BroadcastChannel(CHANNEL_NAME);
    channel.onmessage = function (event) { onAck(event.data); };
    channel.postMessage(message);
  } catch (e) { channel = null; }
  window.addEventListener("message", function (event) {
    if (event.origin === location.origin) { onAck(event.data); }
  });
  try {
    if (window.opener && window.opener !== window) { window.opener.postMessage(message, location.origin); }
  } catch (e) { /* a provider's COOP may have severed the opener; the channel still works */ }

  // Keep the code out of the address bar and history.
  try { history.replaceState(null, "", location.pathname); } catch (e) { /* ignore */ }

  function copyCode(code) {
    var done = function () { byId("copied").textContent = "Copied."; };
    var fallback = function () {
      var range = document.createRange();
      range.selectNodeContents(byId("code"));
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      try {
        if (document.execCommand("copy")) { done(); return; }
      } catch (e) { /* fall through */ }
      byId("copied").textContent = "Select the code and copy it by hand.";
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(code).then(done, fallback);
    } else {
      fallback();
    }
  }

  function showManual() {
    if (acknowledged) { return; }
    var error = params.get("error");
    var code = params.get("code");
    if (error !== null) {
      byId("status").textContent = "The authorization did not succeed.";
      byId("error-code").textContent = visible(error);
      byId("error-description").textContent = visible(params.get("error_description") || "(none given)");
      byId("error-box").hidden = false;
    } else if (code !== null) {
      // A wizard on another origin (static hosting, the local listener) cannot answer here; it
      // gets the code from the relay's pickup instead, so this is not necessarily a failure.
      byId("status").textContent = "This page could not reach the wizard directly. If the wizard " +
        "is waiting for this answer, it fetches the code through the relay within seconds and you " +
        "can close this tab; if not, copy the code by hand:";
      byId("code").textContent = visible(code);
      byId("copy").addEventListener("click", function () { copyCode(code); });
      byId("code-box").hidden = false;
    } else {
      byId("status").textContent = "Nothing to hand over.";
      byId("nothing-box").hidden = false;
    }
  }

  setTimeout(showManual, ACK_WAIT_MS);
})();
