/**
 * Pure helpers shared by SIVO's components: URL building, the postMessage contract with
 * SIVO's connect window and error normalising. No DOM, no Apex.
 */

/** The message type SIVO's callback page posts to its opener when the OAuth flow ends. */
export const CONNECT_MESSAGE_TYPE = 'sivo:salesforce-connect';

const ORIGIN = /^(https?):\/\/([^/?#\s]+)/i;

/**
 * The origin (scheme://host[:port], lower-case) of an absolute http(s) URL, or null.
 * Compared with MessageEvent.origin, which never has a path or a trailing slash.
 */
export function originOf(url) {
    const match = typeof url === 'string' ? ORIGIN.exec(url.trim()) : null;
    if (!match) {
        return null;
    }
    const scheme = match[1].toLowerCase();
    let host = match[2].toLowerCase();
    // Browsers drop the default port from an origin.
    const defaultPort = scheme === 'https' ? ':443' : ':80';
    if (host.endsWith(defaultPort)) {
        host = host.slice(0, -defaultPort.length);
    }
    return `${scheme}://${host}`;
}

function trimSlashes(url) {
    return url.trim().replace(/\/+$/, '');
}

/**
 * SIVO's connect URL: `{base}/salesforce/connect?login_url={My Domain}`. SIVO starts the
 * OAuth web-server flow with PKCE against that login URL.
 */
export function buildConnectUrl(sivoBaseUrl, myDomainUrl) {
    return (
        `${trimSlashes(sivoBaseUrl)}/salesforce/connect` +
        `?login_url=${encodeURIComponent(trimSlashes(myDomainUrl))}`
    );
}

function cleanText(value, maxLength) {
    if (typeof value !== 'string') {
        return null;
    }
    const text = value.trim();
    return text ? text.slice(0, maxLength) : null;
}

/**
 * Validates the data of a message from SIVO's connect window. Returns
 * `{status: 'connected', tenant: {url, name}}`, `{status: 'error', message}`, or null for
 * anything else (other apps' messages, malformed payloads): hostile input is dropped.
 * The caller checks event.origin first; this checks the shape and that the tenant link
 * lives on SIVO's own origin.
 */
export function parseConnectMessage(data, sivoOrigin) {
    if (!data || typeof data !== 'object' || data.type !== CONNECT_MESSAGE_TYPE) {
        return null;
    }
    if (data.status === 'error') {
        const error = data.error && typeof data.error === 'object' ? data.error : {};
        return {
            status: 'error',
            message:
                cleanText(error.message, 500) ||
                cleanText(error.code, 100) ||
                'SIVO could not connect to this org.'
        };
    }
    if (data.status !== 'connected' || !data.tenant || typeof data.tenant !== 'object') {
        return null;
    }
    // The org stores the link in a 255-character field: a longer one is refused, not cut.
    const url = typeof data.tenant.url === 'string' ? data.tenant.url.trim() : '';
    if (!url || url.length > 255 || originOf(url) !== sivoOrigin) {
        return null;
    }
    return {
        status: 'connected',
        tenant: { url, name: cleanText(data.tenant.name, 80) }
    };
}

function messagesOf(error) {
    if (typeof error === 'string') {
        return [error];
    }
    const body = error.body;
    // UI API read errors: an array of {message}.
    if (Array.isArray(body)) {
        return body.map((entry) => entry && entry.message);
    }
    if (body && typeof body === 'object') {
        if (Array.isArray(body.pageErrors) && body.pageErrors.length) {
            return body.pageErrors.map((entry) => entry.message);
        }
        if (body.fieldErrors && Object.keys(body.fieldErrors).length) {
            return Object.values(body.fieldErrors).flatMap((list) =>
                list.map((entry) => entry.message)
            );
        }
        // Apex (AuraHandledException), network and UI API DML errors.
        if (typeof body.message === 'string') {
            return [body.message];
        }
    }
    // JavaScript errors, and fetch failures that keep their HTTP status.
    if (typeof error.message === 'string') {
        return [error.message];
    }
    return [error.statusText];
}

/**
 * Reduces one error or a list of them (Apex, UI API, fetch, JavaScript) to a list of
 * non-empty message strings.
 */
export function reduceErrors(errors) {
    const list = Array.isArray(errors) ? errors : [errors];
    return list
        .filter((error) => error)
        .flatMap(messagesOf)
        .filter((message) => typeof message === 'string' && message);
}
