// Module hooks for the unit tests, so Node loads static/ the way the browser does.
//
// - An absolute specifier ("/softphone/opencti-model.js", "/shared/dom.js") imported from a
//   file under static/ means the path on SIVO's origin, which serves static/ at its root.
// - Files under static/ are ES modules (the browser loads them with <script type="module">).
//   Without saying so, Node guesses from their syntax and prints MODULE_TYPELESS_PACKAGE_JSON
//   for each, because the repository's package.json, which only lists the vendored front-end
//   packages, has no "type".
const STATIC = new URL('../../../static/', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if (specifier.startsWith('/') && !specifier.startsWith('//') && context.parentURL?.startsWith(STATIC)) {
    return nextResolve(new URL(specifier.slice(1), STATIC).href, context);
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (url.startsWith(STATIC) && url.endsWith('.js')) return nextLoad(url, { ...context, format: 'module' });
  return nextLoad(url, context);
}
