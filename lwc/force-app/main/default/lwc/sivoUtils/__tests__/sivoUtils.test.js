import {
    CONNECT_MESSAGE_TYPE,
    buildConnectUrl,
    originOf,
    parseConnectMessage,
    reduceErrors
} from 'c/sivoUtils';

const SIVO = 'https://sivo.test';

describe('originOf', () => {
    it.each([
        ['https://sivo.test', SIVO],
        ['https://SIVO.Test/', SIVO],
        [' https://sivo.test:443/t/acme?x=1#y ', SIVO],
        ['http://127.0.0.1:8080/softphone/', 'http://127.0.0.1:8080'],
        ['http://sivo.test:80', 'http://sivo.test'],
        ['https://sivo.test:8443', 'https://sivo.test:8443']
    ])('%s has origin %s', (url, origin) => {
        expect(originOf(url)).toBe(origin);
    });

    it.each([[''], ['sivo.test'], ['//sivo.test'], ['javascript:alert(1)'], [null], [42]])(
        'rejects %p',
        (url) => {
            expect(originOf(url)).toBeNull();
        }
    );

    it('does not mistake user info for the host', () => {
        expect(originOf('https://sivo.test@evil.example.net/')).not.toBe(SIVO);
    });
});

describe('SIVO URLs', () => {
    it('builds the connect URL with the My Domain encoded', () => {
        expect(buildConnectUrl(`${SIVO}/`, 'https://acme--uat.sandbox.my.salesforce.com/')).toBe(
            `${SIVO}/salesforce/connect?login_url=https%3A%2F%2Facme--uat.sandbox.my.salesforce.com`
        );
    });

    it('keeps a path prefix of the base URL', () => {
        expect(buildConnectUrl('https://example.com/sivo', 'https://acme.my.salesforce.com')).toBe(
            'https://example.com/sivo/salesforce/connect?login_url=https%3A%2F%2Facme.my.salesforce.com'
        );
    });
});

describe('parseConnectMessage', () => {
    const connected = (tenant) => ({ type: CONNECT_MESSAGE_TYPE, status: 'connected', tenant });

    it('accepts a tenant on SIVO’s origin, trimming and capping the name', () => {
        expect(parseConnectMessage(connected({ url: ` ${SIVO}/t/acme `, name: ' Acme ' }), SIVO)).toEqual({
            status: 'connected',
            tenant: { url: `${SIVO}/t/acme`, name: 'Acme' }
        });
        const long = parseConnectMessage(connected({ url: `${SIVO}/t/a`, name: 'x'.repeat(200) }), SIVO);
        expect(long.tenant.name).toHaveLength(80);
    });

    it('accepts a tenant without a name', () => {
        expect(parseConnectMessage(connected({ url: `${SIVO}/t/acme` }), SIVO).tenant.name).toBeNull();
    });

    it.each([
        [null],
        ['sivo:salesforce-connect'],
        [{ type: 'other', status: 'connected', tenant: { url: `${SIVO}/t/a` } }],
        [{ type: CONNECT_MESSAGE_TYPE, status: 'pending' }],
        [{ type: CONNECT_MESSAGE_TYPE, status: 'connected' }],
        [{ type: CONNECT_MESSAGE_TYPE, status: 'connected', tenant: { url: 42 } }],
        [{ type: CONNECT_MESSAGE_TYPE, status: 'connected', tenant: { url: 'https://evil.example.net/t/a' } }],
        [{ type: CONNECT_MESSAGE_TYPE, status: 'connected', tenant: { url: `${SIVO}/${'x'.repeat(300)}` } }]
    ])('drops %p', (data) => {
        expect(parseConnectMessage(data, SIVO)).toBeNull();
    });

    it('reads an error with a message, a code, or nothing', () => {
        const error = (detail) => ({ type: CONNECT_MESSAGE_TYPE, status: 'error', error: detail });
        expect(parseConnectMessage(error({ message: 'Denied.' }), SIVO)).toEqual({
            status: 'error',
            message: 'Denied.'
        });
        expect(parseConnectMessage(error({ code: 'access_denied' }), SIVO).message).toBe('access_denied');
        expect(parseConnectMessage(error(undefined), SIVO).message).toBe(
            'SIVO could not connect to this org.'
        );
    });
});

describe('reduceErrors', () => {
    it('reads Apex and UI API error bodies', () => {
        expect(reduceErrors({ body: { message: 'Apex said no' }, status: 500 })).toEqual(['Apex said no']);
        expect(reduceErrors({ body: [{ message: 'a' }, { message: 'b' }] })).toEqual(['a', 'b']);
        expect(reduceErrors({ body: { pageErrors: [{ message: 'page' }] } })).toEqual(['page']);
        expect(
            reduceErrors({ body: { fieldErrors: { Name: [{ message: 'name' }], X__c: [{ message: 'x' }] } } })
        ).toEqual(['name', 'x']);
    });

    it('reads JavaScript errors, strings and status text, and drops empties', () => {
        expect(
            reduceErrors([new Error('js'), 'plain', { statusText: 'Bad Gateway' }, null, { body: {} }, ''])
        ).toEqual(['js', 'plain', 'Bad Gateway']);
    });

    it('returns nothing for nothing', () => {
        expect(reduceErrors(undefined)).toEqual([]);
        expect(reduceErrors([])).toEqual([]);
    });
});
