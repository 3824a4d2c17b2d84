import { createElement } from '@lwc/engine-dom';
import CalltreeSetup, { CLOSED_WINDOW_POLLS, POLL_INTERVAL_MS, POLL_LIMIT } from 'c/calltreeSetup';
import getStatus from '@salesforce/apex/CalltreeSetupController.getStatus';
import saveProviderSettings from '@salesforce/apex/CalltreeSetupController.saveProviderSettings';
import { ShowToastEventName } from 'lightning/platformShowToastEvent';

jest.mock(
    '@salesforce/apex/CalltreeSetupController.getStatus',
    () => ({ default: jest.fn() }),
    { virtual: true }
);
jest.mock(
    '@salesforce/apex/CalltreeSetupController.saveProviderSettings',
    () => ({ default: jest.fn() }),
    { virtual: true }
);

const NOT_CONNECTED = require('./data/getStatusNotConnected.json');
const CONNECTED = require('./data/getStatusConnected.json');
const NEEDS_RECONNECT = require('./data/getStatusNeedsReconnect.json');
const NOT_CONFIGURED = require('./data/getStatusNotConfigured.json');
const APEX_ERROR = require('./data/apexError.json');
const CONNECT_OK = require('./data/connectMessageConnected.json');
const CONNECT_ERROR = require('./data/connectMessageError.json');

const SIVO_ORIGIN = 'https://sivo.test';
const CONNECT_URL =
    'https://sivo.test/salesforce/connect?login_url=https%3A%2F%2Facme.my.salesforce.com';

// Lets resolved Apex promises, their follow-ups and the re-render run.
async function flushPromises() {
    for (let i = 0; i < 5; i += 1) {
        // eslint-disable-next-line no-await-in-loop
        await Promise.resolve();
    }
}

async function render(status = NOT_CONNECTED) {
    getStatus.mockResolvedValue(status);
    const element = createElement('c-calltree-setup', { is: CalltreeSetup });
    document.body.appendChild(element);
    await flushPromises();
    return element;
}

function query(element, selector) {
    return element.shadowRoot.querySelector(selector);
}

function text(element, selector) {
    const node = query(element, selector);
    return node ? node.textContent.replace(/\s+/g, ' ').trim() : null;
}

function connectButton(element) {
    return query(element, 'lightning-button.connect');
}

function postFromSivo(data, origin = SIVO_ORIGIN) {
    window.dispatchEvent(new MessageEvent('message', { data, origin }));
}

async function advancePolls(count) {
    await jest.advanceTimersByTimeAsync(POLL_INTERVAL_MS * count);
    await flushPromises();
}

describe('c-calltree-setup', () => {
    let popup;

    beforeEach(() => {
        popup = { closed: false, close: jest.fn() };
        jest.spyOn(window, 'open').mockReturnValue(popup);
    });

    afterEach(() => {
        while (document.body.firstChild) {
            document.body.removeChild(document.body.firstChild);
        }
        jest.useRealTimers();
        jest.restoreAllMocks();
        jest.clearAllMocks();
    });

    describe('connection state', () => {
        it('shows an org that is not connected, with the connect button', async () => {
            const element = await render(NOT_CONNECTED);

            expect(query(element, '.state').dataset.state).toBe('not_connected');
            expect(text(element, '.state')).toBe('Not connected to SIVO.');
            expect(text(element, '.sivo-url')).toBe(SIVO_ORIGIN);
            expect(text(element, '.call-center')).toContain('Setup → Call Centers');
            expect(query(element, '.tenant')).toBeNull();
            expect(connectButton(element).label).toBe('Connect with SIVO');
            expect(connectButton(element).disabled).toBe(false);
        });

        it('shows the SIVO tenant, provider name and call center of a connected org', async () => {
            const element = await render(CONNECTED);

            expect(query(element, '.state').dataset.state).toBe('connected');
            expect(text(element, '.state')).toBe('Connected to SIVO tenant Acme.');
            expect(text(element, '.tenant')).toBe('Acme');
            expect(text(element, '.provider')).toBe('calltree');
            expect(text(element, '.call-center')).toBe('SIVO Acme (SIVOacme)');
            expect(connectButton(element).label).toBe('Reconnect with SIVO');
        });

        it('takes the state from the org alone and sends nothing to SIVO', async () => {
            global.fetch = jest.fn();
            try {
                const element = await render(CONNECTED);

                expect(query(element, '.state').dataset.state).toBe('connected');
                expect(global.fetch).not.toHaveBeenCalled();
            } finally {
                delete global.fetch;
            }
        });

        it('names the tenant by its link when SIVO gave no name', async () => {
            const element = await render({ ...CONNECTED, tenantName: null });

            expect(text(element, '.state')).toBe(
                'Connected to SIVO tenant https://sivo.test/t/acme.'
            );
        });

        it('asks for a reconnect when the org links to another SIVO', async () => {
            const element = await render(NEEDS_RECONNECT);

            expect(query(element, '.state').dataset.state).toBe('needs_reconnect');
            expect(text(element, '.state')).toBe(
                'This org is linked to SIVO tenant Acme at another address than SIVO’s Base URL. Connect again to link it to the current address.'
            );
            expect(connectButton(element).label).toBe('Reconnect with SIVO');
        });

        it('disables connecting until SIVO’s address is configured', async () => {
            const element = await render(NOT_CONFIGURED);

            expect(query(element, '.state').dataset.state).toBe('not_configured');
            expect(text(element, '.state')).toContain('Base URL record');
            expect(connectButton(element).disabled).toBe(true);
        });

        it('shows the error when the status cannot be loaded', async () => {
            getStatus.mockRejectedValue(APEX_ERROR);
            const element = createElement('c-calltree-setup', { is: CalltreeSetup });
            document.body.appendChild(element);
            await flushPromises();

            expect(text(element, '.errors')).toBe(APEX_ERROR.body.message);
            expect(query(element, '.state')).toBeNull();
            expect(connectButton(element).disabled).toBe(true);
        });
    });

    describe('connecting', () => {
        it('opens SIVO’s connect URL in a new window within the click itself', async () => {
            const element = await render(NOT_CONNECTED);

            connectButton(element).click();

            // No await between the click and this line: the popup came from the user gesture.
            expect(window.open).toHaveBeenCalledTimes(1);
            expect(window.open).toHaveBeenCalledWith(
                CONNECT_URL,
                'sivoConnect',
                expect.stringContaining('popup')
            );
            await flushPromises();
            expect(query(element, 'lightning-spinner')).not.toBeNull();
            expect(connectButton(element).disabled).toBe(true);
        });

        it('explains a blocked popup and does not wait for it', async () => {
            jest.useFakeTimers();
            window.open.mockReturnValue(null);
            const element = await render(NOT_CONNECTED);

            connectButton(element).click();
            await flushPromises();

            expect(text(element, '.errors')).toContain('blocked the SIVO window');
            expect(query(element, 'lightning-spinner')).toBeNull();
            expect(jest.getTimerCount()).toBe(0);
        });

        it('saves the tenant SIVO reports and confirms once the settings land', async () => {
            jest.useFakeTimers();
            saveProviderSettings.mockResolvedValue('7070000000000AA');
            const element = await render(NOT_CONNECTED);
            const toast = jest.fn();
            element.addEventListener(ShowToastEventName, toast);

            connectButton(element).click();
            postFromSivo(CONNECT_OK);
            await flushPromises();

            expect(saveProviderSettings).toHaveBeenCalledWith({
                tenantLink: 'https://sivo.test/t/acme',
                tenantName: 'Acme'
            });

            // The deployment has not finished on the first poll: keep waiting.
            await advancePolls(1);
            expect(query(element, 'lightning-spinner')).not.toBeNull();
            expect(toast).not.toHaveBeenCalled();

            getStatus.mockResolvedValue(CONNECTED);
            await advancePolls(1);

            expect(query(element, 'lightning-spinner')).toBeNull();
            expect(text(element, '.state')).toBe('Connected to SIVO tenant Acme.');
            expect(text(element, '.notice')).toBe('Connected to SIVO tenant Acme.');
            expect(toast).toHaveBeenCalledTimes(1);
            expect(toast.mock.calls[0][0].detail).toEqual({
                title: 'SIVO connected',
                message: 'Connected to SIVO tenant Acme.',
                variant: 'success'
            });
            expect(jest.getTimerCount()).toBe(0);
        });

        it('finishes when the new link lands even if SIVO’s message never arrives', async () => {
            jest.useFakeTimers();
            const element = await render(NOT_CONNECTED);

            connectButton(element).click();
            getStatus.mockResolvedValue(CONNECTED);
            await advancePolls(1);

            expect(saveProviderSettings).not.toHaveBeenCalled();
            expect(text(element, '.notice')).toBe('Connected to SIVO tenant Acme.');
        });

        it('ignores messages from any origin but SIVO’s', async () => {
            const element = await render(NOT_CONNECTED);

            connectButton(element).click();
            postFromSivo(CONNECT_OK, 'https://evil.example.net');
            postFromSivo(CONNECT_OK, 'https://sivo.test.evil.example.net');
            await flushPromises();

            expect(saveProviderSettings).not.toHaveBeenCalled();
            expect(query(element, 'lightning-spinner')).not.toBeNull();
        });

        it('ignores a tenant link outside SIVO’s origin, even from SIVO', async () => {
            const element = await render(NOT_CONNECTED);

            connectButton(element).click();
            postFromSivo({
                ...CONNECT_OK,
                tenant: { url: 'https://evil.example.net/t/acme', name: 'Acme' }
            });
            postFromSivo({ type: 'something-else', status: 'connected' });
            postFromSivo('connected');
            await flushPromises();

            expect(saveProviderSettings).not.toHaveBeenCalled();
        });

        it('ignores SIVO’s message when no connect is running', async () => {
            await render(NOT_CONNECTED);

            postFromSivo(CONNECT_OK);
            await flushPromises();

            expect(saveProviderSettings).not.toHaveBeenCalled();
        });

        it('shows the error SIVO reports and stops waiting', async () => {
            jest.useFakeTimers();
            const element = await render(NOT_CONNECTED);

            connectButton(element).click();
            postFromSivo(CONNECT_ERROR);
            await flushPromises();

            expect(text(element, '.errors')).toBe('The Salesforce admin denied access.');
            expect(query(element, 'lightning-spinner')).toBeNull();
            expect(connectButton(element).disabled).toBe(false);
            expect(saveProviderSettings).not.toHaveBeenCalled();
            expect(jest.getTimerCount()).toBe(0);
        });

        it('shows the error when saving the settings fails', async () => {
            jest.useFakeTimers();
            saveProviderSettings.mockRejectedValue(APEX_ERROR);
            const element = await render(NOT_CONNECTED);

            connectButton(element).click();
            postFromSivo(CONNECT_OK);
            await flushPromises();

            expect(text(element, '.errors')).toBe(APEX_ERROR.body.message);
            expect(query(element, 'lightning-spinner')).toBeNull();
            expect(jest.getTimerCount()).toBe(0);
        });

        it('gives up when the settings never land', async () => {
            jest.useFakeTimers();
            saveProviderSettings.mockResolvedValue('7070000000000AA');
            const element = await render(NOT_CONNECTED);

            connectButton(element).click();
            postFromSivo(CONNECT_OK);
            await flushPromises();
            await advancePolls(POLL_LIMIT);

            expect(text(element, '.errors')).toContain('Deployment Status');
            expect(query(element, 'lightning-spinner')).toBeNull();
            expect(jest.getTimerCount()).toBe(0);
        });

        it('stops soon after the SIVO window is closed without a result', async () => {
            jest.useFakeTimers();
            const element = await render(NOT_CONNECTED);

            connectButton(element).click();
            popup.closed = true;
            await advancePolls(CLOSED_WINDOW_POLLS);

            expect(text(element, '.errors')).toContain('SIVO did not report a result');
            expect(jest.getTimerCount()).toBe(0);
            expect(getStatus).toHaveBeenCalledTimes(1 + CLOSED_WINDOW_POLLS);
        });

        it('stops polling and listening when removed from the page', async () => {
            jest.useFakeTimers();
            const element = await render(NOT_CONNECTED);
            connectButton(element).click();
            expect(jest.getTimerCount()).toBe(1);

            document.body.removeChild(element);
            postFromSivo(CONNECT_OK);
            await flushPromises();

            expect(jest.getTimerCount()).toBe(0);
            expect(saveProviderSettings).not.toHaveBeenCalled();
        });
    });

    describe('accessibility', () => {
        it('is accessible when not connected', async () => {
            const element = await render(NOT_CONNECTED);

            await expect(element).toBeAccessible();
        });

        it('is accessible when connected', async () => {
            const element = await render(CONNECTED);

            await expect(element).toBeAccessible();
        });

        it('is accessible while waiting and with an error', async () => {
            const element = await render(NOT_CONNECTED);
            connectButton(element).click();
            postFromSivo(CONNECT_ERROR);
            await flushPromises();

            await expect(element).toBeAccessible();
        });
    });
});
