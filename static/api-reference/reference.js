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
    plugins: [thisServer],
    // An API key entered under "Authorize" (the spec's bearer scheme) goes out with "Try it
    // out" as Authorization: Bearer <key>. It stays in this page's memory: never written to
    // localStorage, gone on reload.
    persistAuthorization: false,
    displayRequestDuration: true,
    defaultModelsExpandDepth: 0,
  });
}
