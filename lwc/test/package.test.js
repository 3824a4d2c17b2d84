/**
 * Checks the Salesforce package without an org: every XML file is well-formed and has the
 * root element its metadata type needs, the call center template renders to a valid
 * definition, every Apex method a component imports exists, and the SIVO URL placeholder is
 * covered by sfdx-project.json's replacements. Runs in Jest's jsdom (DOMParser), offline.
 */
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const METADATA_NS = 'http://soap.sforce.com/2006/04/metadata';
const PLACEHOLDER_URL = 'https://sivo.example.com';

// File suffix → root element (Metadata API Developer Guide, one page per type).
const ROOT_ELEMENTS = {
    '.cls-meta.xml': 'ApexClass',
    '.js-meta.xml': 'LightningComponentBundle',
    '.object-meta.xml': 'CustomObject',
    '.field-meta.xml': 'CustomField',
    '.md-meta.xml': 'CustomMetadata',
    '.cspTrustedSite-meta.xml': 'CspTrustedSite',
    '.permissionset-meta.xml': 'PermissionSet',
    '.tab-meta.xml': 'CustomTab',
    '.eca-meta.xml': 'ExternalClientApplication',
    '.ecaOauth-meta.xml': 'ExtlClntAppOauthSettings',
    '.ecaGlblOauth-meta.xml': 'ExtlClntAppGlobalOauthSettings'
};

function walk(dir) {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) {
            return entry.name === 'node_modules' ? [] : walk(full);
        }
        return [full];
    });
}

const files = walk(ROOT).map((file) => path.relative(ROOT, file));
const metaFiles = files.filter((file) => file.endsWith('-meta.xml'));

function parseXml(source) {
    const doc = new DOMParser().parseFromString(source, 'application/xml');
    const error = doc.getElementsByTagName('parsererror')[0];
    return { doc, error: error ? error.textContent : null };
}

function read(file) {
    return fs.readFileSync(path.join(ROOT, file), 'utf8');
}

describe('metadata XML', () => {
    it('finds the package files', () => {
        expect(metaFiles.length).toBeGreaterThan(15);
    });

    it.each(metaFiles)('%s is well-formed with the right root element', (file) => {
        const { doc, error } = parseXml(read(file));
        expect(error).toBeNull();

        const suffix = Object.keys(ROOT_ELEMENTS).find((end) => file.endsWith(end));
        expect(suffix).toBeDefined();
        expect(doc.documentElement.localName).toBe(ROOT_ELEMENTS[suffix]);
        expect(doc.documentElement.namespaceURI).toBe(METADATA_NS);
    });

    it('rejects broken XML (the check itself works)', () => {
        expect(parseXml('<CustomTab><label>x</CustomTab>').error).not.toBeNull();
    });

    it('names files after the components they reference', () => {
        const valueOf = (file, tag) =>
            parseXml(read(file)).doc.getElementsByTagName(tag)[0].textContent;
        const eca = 'force-app/main/default/externalClientApps/SIVO_Connector.eca-meta.xml';
        expect(fs.existsSync(path.join(ROOT, eca))).toBe(true);
        for (const file of metaFiles.filter((f) => /\.eca(Oauth|GlblOauth)-meta\.xml$/.test(f))) {
            expect(valueOf(file, 'externalClientApplication')).toBe('SIVO_Connector');
        }
        const tab = 'force-app/main/default/tabs/SIVO_Connector.tab-meta.xml';
        const component = valueOf(tab, 'lwcComponent');
        expect(fs.existsSync(path.join(ROOT, 'force-app/main/default/lwc', component))).toBe(true);
        const permissionSet =
            'force-app/main/default/permissionsets/SIVO_Connector_Admin.permissionset-meta.xml';
        expect(valueOf(permissionSet, 'tab')).toBe('SIVO_Connector');
        expect(valueOf(permissionSet, 'apexClass')).toBe('CalltreeSetupController');
    });

    it('asks for PKCE and the callback SIVO serves', () => {
        const { doc } = parseXml(
            read('owner-org/main/default/extlClntAppGlobalOauthSets/SIVO_Connector_glbl.ecaGlblOauth-meta.xml')
        );
        const valueOf = (tag) => doc.getElementsByTagName(tag)[0].textContent;
        expect(valueOf('isPkceRequired')).toBe('true');
        expect(valueOf('callbackUrl')).toBe(`${PLACEHOLDER_URL}/salesforce?autoConnect=1`);
    });
});

describe('SIVO URL placeholder', () => {
    const project = JSON.parse(read('sfdx-project.json'));

    // sfdx-project.json globs are relative to the project root; these are all "dir/**/*-meta.xml".
    function replaced(file) {
        return project.replacements.some(
            (rule) =>
                rule.stringToReplace === PLACEHOLDER_URL &&
                rule.replaceWithEnv === 'SIVO_PUBLIC_URL' &&
                !rule.allowUnsetEnvVariable &&
                file.startsWith(rule.glob.replace('**/*-meta.xml', '')) &&
                file.endsWith('-meta.xml')
        );
    }

    const withPlaceholder = files.filter(
        (file) =>
            (file.startsWith('force-app/main/') || file.startsWith('owner-org/')) &&
            !file.includes('__tests__') &&
            read(file).includes(PLACEHOLDER_URL)
    );

    it('is used by the base URL, the trusted site and the callback', () => {
        expect(withPlaceholder).toEqual(
            expect.arrayContaining([
                'force-app/main/default/customMetadata/SIVO_Setting.Base_URL.md-meta.xml',
                'force-app/main/default/cspTrustedSites/SIVO.cspTrustedSite-meta.xml',
                'owner-org/main/default/extlClntAppGlobalOauthSets/SIVO_Connector_glbl.ecaGlblOauth-meta.xml'
            ])
        );
    });

    it.each(withPlaceholder)('%s is rewritten with SIVO_PUBLIC_URL at deploy time', (file) => {
        expect(replaced(file)).toBe(true);
    });
});

describe('Apex imports', () => {
    const componentFiles = files.filter(
        (file) => /\/lwc\/[^/]+\/[^/]+\.js$/.test(file) && !file.includes('__tests__')
    );
    const imports = componentFiles.flatMap((file) =>
        [...read(file).matchAll(/from '@salesforce\/apex\/(\w+)\.(\w+)'/g)].map((m) => [
            file,
            m[1],
            m[2]
        ])
    );

    it('finds the imports', () => {
        expect(imports.length).toBeGreaterThan(0);
    });

    it.each(imports)('%s imports %s.%s, an @AuraEnabled static method', (file, cls, method) => {
        const source = read(`force-app/main/default/classes/${cls}.cls`);
        const declaration = new RegExp(`@AuraEnabled[^;{]*?\\bpublic\\s+static\\s+\\w+\\s+${method}\\s*\\(`);
        expect(source).toMatch(declaration);
    });
});

describe('call center template', () => {
    const template = read('callcenter/SIVO_CallCenter.xml.template');
    const SAMPLE = {
        INTERNAL_NAME: 'SIVOacme00D000000000001',
        DISPLAY_NAME: 'SIVO & Acme <Support>',
        SOFTPHONE_URL: `${PLACEHOLDER_URL}/softphone/?org=00D000000000001&v=1`,
        CERTIFICATE_PEM_BODY: 'MIIBszCCARwCCQD\nAbCdEfGh0123+/=='
    };
    const escapeXml = (value) =>
        value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const render = (values) =>
        template.replace(/\{\{([A-Z_]+)\}\}/g, (_, name) => escapeXml(values[name]));

    it('uses exactly the documented placeholders', () => {
        const names = [...new Set([...template.matchAll(/\{\{([A-Z_]+)\}\}/g)].map((m) => m[1]))];
        expect(names.sort()).toEqual(Object.keys(SAMPLE).sort());
    });

    it('renders, XML-escaped, to a well-formed definition', () => {
        const { doc, error } = parseXml(render(SAMPLE));
        expect(error).toBeNull();
        expect(doc.documentElement.localName).toBe('callCenter');
        const item = (name) => doc.querySelector(`item[name="${name}"]`).textContent;
        expect(item('reqInternalName')).toBe(SAMPLE.INTERNAL_NAME);
        expect(item('reqDisplayName')).toBe(SAMPLE.DISPLAY_NAME);
        expect(item('reqAdapterUrl')).toBe(SAMPLE.SOFTPHONE_URL);
        expect(item('reqTelephonyIntegrationCertificate')).toBe(
            `-----BEGIN CERTIFICATE-----\n${SAMPLE.CERTIFICATE_PEM_BODY}\n-----END CERTIFICATE-----`
        );
    });

    it('has the Open CTI and Salesforce Voice items with their documented values', () => {
        const { doc } = parseXml(render(SAMPLE));
        const section = (name) => doc.querySelector(`section[name="${name}"]`);
        const item = (name) => doc.querySelector(`item[name="${name}"]`);
        expect(section('reqGeneralInfo').getAttribute('sortOrder')).toBe('0');
        expect(item('reqInternalName').getAttribute('sortOrder')).toBe('0');
        expect(item('reqDisplayName').getAttribute('sortOrder')).toBe('1');
        expect(item('reqUseApi').textContent).toBe('true');
        expect(item('reqSalesforceCompatibilityMode').textContent).toBe('Lightning');
        const height = Number(item('reqSoftphoneHeight').textContent);
        const width = Number(item('reqSoftphoneWidth').textContent);
        expect(height).toBeGreaterThanOrEqual(240);
        expect(height).toBeLessThanOrEqual(2560);
        expect(width).toBeGreaterThanOrEqual(200);
        expect(width).toBeLessThanOrEqual(1920);
        expect(item('reqTelephonyIntegrationCertificate').parentNode).toBe(section('reqHvcc'));
        expect(item('telephonyProviderName').textContent).toBe('calltree');
    });

    it('numbers sections and items from 0 without gaps, with short alphanumeric names', () => {
        const { doc } = parseXml(render(SAMPLE));
        const orders = (nodes) =>
            [...nodes].map((node) => Number(node.getAttribute('sortOrder'))).sort((a, b) => a - b);
        const sections = doc.getElementsByTagName('section');
        expect(orders(sections)).toEqual([...sections].map((_, i) => i));
        for (const section of sections) {
            const items = section.getElementsByTagName('item');
            expect(orders(items)).toEqual([...items].map((_, i) => i));
        }
        for (const node of doc.querySelectorAll('section, item')) {
            expect(node.getAttribute('name')).toMatch(/^[A-Za-z0-9]{1,40}$/);
        }
    });

    it('keeps custom sections and items out of the reserved req namespace', () => {
        const { doc } = parseXml(render(SAMPLE));
        expect(doc.querySelector('section[name="sivoSettings"]')).not.toBeNull();
        for (const node of doc.querySelectorAll('section[name="sivoSettings"], section[name="sivoSettings"] item')) {
            expect(node.getAttribute('name').startsWith('req')).toBe(false);
        }
    });
});
