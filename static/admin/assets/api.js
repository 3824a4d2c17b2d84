// The dashboard's only door to SIVO: same-origin fetch with the session cookie, and the
// X-CSRF-Token header on every state-changing request.

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
let current = null;

export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

export function toLogin() {
  const next = location.pathname + location.search;
  location.assign(`/admin/login?next=${encodeURIComponent(next)}`);
}

/** GET /admin/session → {tenant_id, csrf_token}; sends the browser to login when logged out. */
export async function loadSession() {
  const resp = await fetch('/admin/session', {
    credentials: 'same-origin',
    headers: { Accept: 'application/json' },
    cache: 'no-store',
  });
  if (resp.status === 401) {
    toLogin();
    return new Promise(() => {});
  }
  if (!resp.ok) throw new ApiError(resp.status, 'session', `Could not load the session (HTTP ${resp.status}).`);
  current = await resp.json();
  return current;
}

export function session() {
  return current;
}

export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (!SAFE.has(method)) headers['X-CSRF-Token'] = current?.csrf_token ?? '';
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(`/api/v1${path}`, init);
  } catch {
    throw new ApiError(0, 'network', 'Could not reach SIVO. Check your connection and try again.');
  }
  if (resp.status === 401) {
    toLogin();
    throw new ApiError(401, 'unauthorized', 'Your session ended. Log in again.');
  }
  if (resp.status === 204) return null;
  let data = null;
  try {
    data = await resp.json();
  } catch {
    data = null;
  }
  if (!resp.ok) {
    const err = data?.error ?? {};
    throw new ApiError(
      resp.status,
      err.code ?? `http_${resp.status}`,
      err.message ?? `Request failed (HTTP ${resp.status}).`,
      err.field,
    );
  }
  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body);
export const patch = (path, body) => api('PATCH', path, body);
export const del = (path) => api('DELETE', path);

let schema = null;

/** The catalog's event types as [{type, description}], fetched once. */
export async function eventTypes() {
  schema ??= get('/events/schema').catch((err) => {
    schema = null;
    throw err;
  });
  const doc = await schema;
  return Object.entries(doc.events ?? {}).map(([type, e]) => ({ type, description: e.description ?? '' }));
}

export const endpointPath = (id) => `/webhooks/endpoints/${encodeURIComponent(id)}`;
