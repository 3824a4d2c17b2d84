// Drive devorg with jsforce (a real client, not written here) and print one JSON result.
//
// Run by tests/devorg/test_devorg_jsforce.py with NODE_EXTRA_CA_CERTS pointing at devorg's
// test CA, so TLS is verified as usual (nothing here disables verification).
// argv[2] is JSON: {instanceUrl, accessToken, loginUrl, clientId, redirectUri, rows}.

import jsforce from 'jsforce';

const input = JSON.parse(process.argv[2]);
const out = {};

// 1. The web-server flow with jsforce's own PKCE (useVerifier: a 171-character verifier),
//    devorg auto-approving the user (the test sets the switch).
const oauth2 = new jsforce.OAuth2({
    loginUrl: input.loginUrl,
    clientId: input.clientId,
    redirectUri: input.redirectUri,
    useVerifier: true,
});
out.verifierLength = oauth2.codeVerifier.length;
const authorizeUrl = oauth2.getAuthorizationUrl({ scope: 'api id refresh_token', state: 'js' });
const redirect = await fetch(authorizeUrl, { redirect: 'manual' });
const code = new URL(redirect.headers.get('location')).searchParams.get('code');
const viaOAuth = new jsforce.Connection({ oauth2 });
const userInfo = await viaOAuth.authorize(code);
out.oauth = {
    userId: userInfo.id,
    organizationId: userInfo.organizationId,
    instanceUrl: viaOAuth.instanceUrl,
    identity: (await viaOAuth.identity()).username,
};

// 2. A connection from an access token and instance URL (jsforce's default API version).
const conn = new jsforce.Connection({
    instanceUrl: input.instanceUrl,
    accessToken: input.accessToken,
});
out.version = conn.version;
const Contact = conn.sobject('Contact');

const rows = Array.from({ length: input.rows }, (_, n) => ({
    LastName: `Js${String(n).padStart(5, '0')}`,
}));
const created = await Contact.create(rows, { allOrNone: true, allowRecursive: true });
out.createdRows = created.filter((r) => r.success).length;

const soql = 'SELECT Id, LastName FROM Contact ORDER BY LastName';
const firstPage = await conn.query(soql);
out.firstPage = {
    totalSize: firstPage.totalSize,
    done: firstPage.done,
    records: firstPage.records.length,
    hasNext: Boolean(firstPage.nextRecordsUrl),
};
const more = await conn.queryMore(firstPage.nextRecordsUrl);
out.queryMore = { done: more.done, records: more.records.length };
const all = await conn.query(soql).run({ autoFetch: true, maxFetch: 100000 });
out.autoFetch = { totalSize: all.totalSize, records: all.records.length };
out.autoFetchOrdered = all.records.every(
    (r, n) => r.LastName === `Js${String(n).padStart(5, '0')}`,
);

const one = await Contact.create({ LastName: 'Lamarr', Phone: '(415) 555-1212' });
out.create = one;
out.update = await Contact.update({ Id: one.id, FirstName: 'Hedy' });
out.retrieve = (await Contact.retrieve(one.id)).Name;
out.upsertNew = await Contact.upsert({ External_Id__c: 'js-1', LastName: 'Hamilton' }, 'External_Id__c');
out.upsertAgain = await Contact.upsert({ External_Id__c: 'js-1', FirstName: 'Margaret' }, 'External_Id__c');
out.upsertMany = await Contact.upsert(
    [
        { External_Id__c: 'js-1', Title: 'Director' },
        { External_Id__c: 'js-2', LastName: 'Johnson' },
    ],
    'External_Id__c',
);
out.destroy = await Contact.destroy(one.id);
try {
    await Contact.retrieve(one.id);
    out.afterDestroy = 'found';
} catch (err) {
    out.afterDestroy = err.errorCode;
}
const deleted = await conn.query('SELECT Id FROM Contact WHERE IsDeleted = true').scanAll(true);
out.queryAllDeleted = deleted.records.map((r) => r.Id);

const described = await Contact.describe();
const lastName = described.fields.find((f) => f.name === 'LastName');
out.describe = {
    name: described.name,
    keyPrefix: described.keyPrefix,
    lastName: { type: lastName.type, nillable: lastName.nillable, length: lastName.length },
};
out.describeGlobal = (await conn.describeGlobal()).sobjects.map((s) => s.name);
out.limits = (await conn.limits()).DailyApiRequests;
out.limitInfo = conn.limitInfo.apiUsage;

process.stdout.write(JSON.stringify(out) + '\n');
