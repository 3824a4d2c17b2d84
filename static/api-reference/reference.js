// The API reference: Swagger UI (swagger-ui-dist, vendored at /vendor/, loaded as a classic
// script before this module runs) rendering the OpenAPI document SIVO serves itself.
//
// Nothing leaves this origin: the spec comes from /api/v1/openapi.json, "Try it out" calls
// this server (see thisServer), and the online validator badge is off (validatorUrl: null),
// so the page never contacts validator.swagger.io.

import { $, say } from '/shared/dom.js';

const SPEC_URL = '/api/v1/openapi.json';

// The spec names SIVO_PUBLIC_URL as its server, right for a copy read elsewhere. This page
// may have been opened at another address of the same SIVO (localhost, a port of its own),
// and its CSP (connect-src 'self') lets it call only the origin it came from: so "Try it
// out" is offered against that origin.
const thisServer = () => ({
  statePlugins: {
    spec: {
      wrapActions: {
        updateJsonSpec: (original) => (spec) =>
          original({ ...spec, servers: [{ url: window.location.origin, description: 'This SIVO server' }] }),
      },
    },
  },
});

// axe-core's nested-interactive: each operation's summary is one <button> (it opens the
// operation), and with deepLinking Swagger UI puts the path inside it as a link to
// #/<tag>/<operationId>, a focusable control inside another. The link adds nothing there: its
// click is prevented, and opening the operation writes the same fragment to the address bar
// (deepLinking's own layout action). So inside an operation's summary the DeepLink component is
// drawn disabled: the same <a class="nostyle"> without href, not focusable. A tag's heading
// keeps its link (it is not inside a button). Operation paths are "<tag>/<operationId>", tag
// paths a tag alone (SIVO's tags hold no "/").
const summaryPathsAreText = (system) => ({
  wrapComponents: {
    DeepLink: (Original) => (props) =>
      system.React.createElement(Original, { ...props, enabled: props.enabled && !props.path.includes('/') }),
  },
});

// Fix-ups after render, for what no Swagger UI option or component prop reaches (axe-core,
// tests/test_api_reference_browser.py). React re-creates these nodes as operations open and
// close, so a MutationObserver repeats them whenever Swagger UI's tree changes; each one only
// adds attributes (observed: childList, not attributes, so it cannot trigger itself).
// - select-name: the server choice is <label for="servers"><select id="servers"> with no text
//   in the label (its "Servers" title is a <span> beside it); the select is named by that title.
// - select-name: a parameter with an enum (direction, outcome) is a bare <select> in the
//   parameter's row; it is named after the parameter (the row's data-param-name).
// - scrollable-region-focusable: an example or a response body is a <pre> scrolled at 400 px
//   (swagger-ui.css); tabindex=0 lets the keyboard reach and scroll it.
const fixUp = (root) => {
  const servers = root.querySelector('select#servers:not([aria-labelledby])');
  const title = root.querySelector('.servers-title');
  if (servers !== null && title !== null) {
    title.id = 'servers-title';
    servers.setAttribute('aria-labelledby', 'servers-title');
  }
  for (const select of root.querySelectorAll('tr[data-param-name] select:not([aria-label])')) {
    select.setAttribute('aria-label', select.closest('tr').dataset.paramName);
  }
  for (const pre of root.querySelectorAll('.highlight-code > pre:not([tabindex])')) {
    pre.tabIndex = 0;
  }
};
const keepFixedUp = (root) => {
  new MutationObserver(() => fixUp(root)).observe(root, { childList: true, subtree: true });
};

if (typeof window.SwaggerUIBundle !== 'function') {
  // /vendor/swagger-ui-bundle.js answered 503: this server's node_modules is missing.
  $('swagger-ui').replaceChildren();
  say($('alert'), 'Swagger UI is not installed on this server: run `npm install`, then reload.', 'error');
} else {
  window.ui = window.SwaggerUIBundle({
    url: SPEC_URL,
    dom_id: '#swagger-ui',
    deepLinking: true, // #/<tag>/<operationId> opens that operation, and can be shared
    validatorUrl: null,
    plugins: [thisServer, summaryPathsAreText],
    // An API key entered under "Authorize" (the spec's bearer scheme) goes out with "Try it
    // out" as Authorization: Bearer <key>. It stays in this page's memory: never written to
    // localStorage, gone on reload.
    persistAuthorization: false,
    displayRequestDuration: true,
    defaultModelsExpandDepth: 0,
  });
  keepFixedUp($('swagger-ui'));
}
