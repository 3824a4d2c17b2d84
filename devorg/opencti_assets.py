"""The browser side of the Open CTI stand-in: ``opencti_min.js`` and the console page.

``opencti_min.js`` runs in the softphone frame, as Salesforce's does. It reads ``mode`` and
``sfdcIframeOrigin`` from its own URL (Open CTI fails with "param.mode is undefined" without
them, reference §7.1), exposes ``window.sforce.opencti`` with the documented method names,
and talks to the console through ``window.postMessage`` with origin checks ("Open CTI and
Security"). Every call is recorded in ``sforce.opencti.__devorg.calls``; the console also
posts each call to ``/__devorg/opencti/calls`` so tests read them back over HTTP.
No external scripts: nothing is loaded from a CDN.
"""

from __future__ import annotations

import html
import json
from typing import Any

from .opencti import METHODS

__all__ = ["console_page", "opencti_script"]

_SCRIPT = r"""/* devorg Open CTI stand-in, API %(version)s. Not Salesforce's code. */
(function () {
  'use strict';
  var params = new URLSearchParams(window.location.search);
  var parentOrigin = params.get('sfdcIframeOrigin');
  if (!params.get('mode') || !parentOrigin) {
    console.error('Failed to initialize Open CTI. Ensure that it is loaded from the right ' +
      'frame in the right context. param.mode is undefined');
  }
  var methods = %(methods)s;
  var nextCallId = 1;
  var callbacks = {};
  var listeners = { onClickToDial: [], onNavigationChange: [] };
  var channels = {};
  var recorded = [];

  function plain(args) {
    var copy = {};
    Object.keys(args).forEach(function (key) {
      if (typeof args[key] !== 'function') { copy[key] = args[key]; }
    });
    return copy;
  }

  function send(method, args) {
    args = args || {};
    var callId = nextCallId++;
    var copy = plain(args);
    recorded.push({ method: method, args: copy });
    if (typeof args.callback === 'function') { callbacks[callId] = args.callback; }
    if (typeof args.listener === 'function') {
      if (listeners[method]) { listeners[method].push(args.listener); }
      if (method === 'subscribe') {
        (channels[args.channelName] = channels[args.channelName] || []).push(args.listener);
      }
    }
    window.parent.postMessage(
      { devorgOpenCti: true, kind: 'call', callId: callId, method: method, args: copy },
      parentOrigin || '*');
  }

  window.addEventListener('message', function (event) {
    // Salesforce checks the sender's origin on every message.
    if (event.origin !== parentOrigin || !event.data || !event.data.devorgOpenCti) { return; }
    var data = event.data;
    if (data.kind === 'response') {
      var callback = callbacks[data.callId];
      delete callbacks[data.callId];
      if (callback) { callback(data.result); }
    } else if (data.kind === 'event') {
      var targets = data.event === 'lms' ? (channels[data.payload.channelName] || [])
        : (listeners[data.event] || []);
      targets.forEach(function (listener) {
        listener(data.event === 'lms' ? data.payload.message : data.payload);
      });
    }
  });

  var api = {
    SCREENPOP_TYPE: { SOBJECT: 'sobject', URL: 'url', OBJECTHOME: 'objecthome', LIST: 'list',
      SEARCH: 'search', NEW_RECORD_MODAL: 'newRecord', FLOW: 'flow' },
    CALL_TYPE: { INBOUND: 'inbound', OUTBOUND: 'outbound', INTERNAL: 'internal' },
    __devorg: { calls: recorded }
  };
  methods.forEach(function (method) {
    api[method] = function (args) { send(method, args); };
  });
  window.sforce = window.sforce || {};
  window.sforce.opencti = api;
})();
"""

_CONSOLE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Service Console | devorg</title>
<style>
body{margin:0;font-family:sans-serif;display:flex;height:100vh}
main{flex:1;padding:1rem;overflow:auto}
aside{width:420px;border-left:1px solid #ccc;display:flex;flex-direction:column}
aside iframe{flex:1;border:0}
button[disabled]{opacity:.4}
</style></head><body>
<main>
<h1>devorg console</h1>
<p>Org <code>%(org_id)s</code>, user <b>%(user_name)s</b>.</p>
<h2>Current view</h2><pre id="view">home</pre>
<h2>Contacts</h2><ul id="contacts">%(contacts)s</ul>
<h2>Open CTI calls</h2><ol id="calls"></ol>
</main>
<aside><iframe id="softphone" title="Softphone" src="%(frame_src)s"
  allow="microphone; autoplay; clipboard-write"></iframe></aside>
<script type="application/json" id="devorg-config">%(config)s</script>
<script>
(function () {
  'use strict';
  var config = JSON.parse(document.getElementById('devorg-config').textContent);
  var frame = document.getElementById('softphone');
  var softphoneOrigin = config.softphoneOrigin;
  var afterSeq = config.afterSeq;

  function toSoftphone(message) {
    message.devorgOpenCti = true;
    frame.contentWindow.postMessage(message, softphoneOrigin);
  }
  function fire(event, payload) { toSoftphone({ kind: 'event', event: event, payload: payload }); }
  window.devorgConsole = { fire: fire };

  window.addEventListener('message', function (event) {
    if (event.origin !== softphoneOrigin || event.source !== frame.contentWindow) { return; }
    var data = event.data;
    if (!data || !data.devorgOpenCti || data.kind !== 'call') { return; }
    fetch('/__devorg/opencti/calls', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ orgId: config.orgId, userId: config.userId,
        method: data.method, args: data.args })
    }).then(function (response) { return response.json(); }).then(function (result) {
      var item = document.createElement('li');
      item.textContent = data.method + ' ' + JSON.stringify(data.args);
      document.getElementById('calls').appendChild(item);
      if (result.view) { document.getElementById('view').textContent =
        JSON.stringify(result.view, null, 1); }
      document.querySelectorAll('button.dial').forEach(function (button) {
        button.disabled = !result.clickToDialEnabled;
      });
      toSoftphone({ kind: 'response', callId: data.callId, result: result.response });
    });
  });

  document.querySelectorAll('button.dial').forEach(function (button) {
    button.addEventListener('click', function () {
      fire('onClickToDial', JSON.parse(button.dataset.payload));
    });
  });

  function poll() {
    fetch('/__devorg/opencti/events?after=' + afterSeq).then(function (r) { return r.json(); })
      .then(function (body) {
        body.events.forEach(function (item) {
          afterSeq = item.seq;
          fire(item.event, item.payload);
        });
      }).finally(function () { setTimeout(poll, 500); });
  }
  poll();
})();
</script></body></html>"""


def opencti_script(version: str) -> str:
    return _SCRIPT % {"version": version, "methods": json.dumps(list(METHODS))}


def _script_json(value: Any) -> str:
    # Inside <script>, "</" would end the element early.
    return json.dumps(value).replace("</", "<\\/")


def console_page(
    *,
    org_id: str,
    user_id: str,
    user_name: str,
    frame_src: str,
    softphone_origin: str,
    contacts: list[dict[str, Any]],
    after_seq: int,
    click_to_dial: bool,
) -> str:
    items = []
    for contact in contacts:
        payload = {
            "number": contact["Phone"],
            "recordId": contact["Id"],
            "recordName": contact["Name"],
            "objectType": "Contact",
            "accountId": contact.get("AccountId"),
            "personAccount": False,
        }
        items.append(
            f"<li>{html.escape(contact['Name'])} "
            f'<button class="dial" data-payload="{html.escape(json.dumps(payload))}"'
            f"{'' if click_to_dial else ' disabled'}>{html.escape(contact['Phone'])}</button></li>"
        )
    config = {
        "orgId": org_id,
        "userId": user_id,
        "softphoneOrigin": softphone_origin,
        "afterSeq": after_seq,
    }
    return _CONSOLE % {
        "org_id": html.escape(org_id),
        "user_name": html.escape(user_name),
        "contacts": "".join(items),
        "frame_src": html.escape(frame_src),
        "config": _script_json(config),
    }
