import { LightningElement } from 'lwc';
import { ShowToastEvent } from 'lightning/platformShowToastEvent';
import getStatus from '@salesforce/apex/CalltreeSetupController.getStatus';
import saveProviderSettings from '@salesforce/apex/CalltreeSetupController.saveProviderSettings';
import { buildConnectUrl, originOf, parseConnectMessage, reduceErrors } from 'c/sivoUtils';

// How long the page waits for the connection to land in the org: SIVO's message, then the
// custom-metadata deployment that saveProviderSettings enqueues (asynchronous by design).
export const POLL_INTERVAL_MS = 3000;
export const POLL_LIMIT = 100;
// Polls left once the SIVO window is closed without having reported a result.
export const CLOSED_WINDOW_POLLS = 5;

const POPUP_FEATURES = 'popup,width=600,height=720';

const STATE_MESSAGES = {
    not_configured:
        'SIVO’s address is not set: fill in the Base URL record of the SIVO Setting custom metadata type.',
    not_connected: 'Not connected to SIVO.',
    connected: 'Connected to SIVO tenant {tenant}.',
    // The org-side rule only (CalltreeSetupController.stateOf): the saved link is on another
    // origin than the Base URL record. Whether SIVO's tokens still work is shown in SIVO's
    // dashboard, not here.
    needs_reconnect:
        'This org is linked to SIVO tenant {tenant} at another address than SIVO’s Base URL. Connect again to link it to the current address.'
};

export default class CalltreeSetup extends LightningElement {
    status;
    errors = [];
    notice;
    connecting = false;

    popup;
    pollTimer;
    pollsLeft = 0;
    linkBefore;
    expectedLink;
    messageListener = (event) => this.handleMessage(event);

    connectedCallback() {
        window.addEventListener('message', this.messageListener);
        this.loadStatus();
    }

    disconnectedCallback() {
        window.removeEventListener('message', this.messageListener);
        this.stopPolling();
    }

    get state() {
        return this.status ? this.status.state : undefined;
    }

    get stateMessage() {
        const template = STATE_MESSAGES[this.state] || '';
        return template.replace('{tenant}', this.tenantLabel);
    }

    get tenantLabel() {
        return (this.status && (this.status.tenantName || this.status.tenantLink)) || '';
    }

    get isLinked() {
        return this.state === 'connected' || this.state === 'needs_reconnect';
    }

    get connectLabel() {
        return this.isLinked ? 'Reconnect with SIVO' : 'Connect with SIVO';
    }

    get connectDisabled() {
        return !this.status || this.state === 'not_configured' || this.connecting;
    }

    get hasErrors() {
        return this.errors.length > 0;
    }

    get errorItems() {
        return this.errors.map((message, index) => ({ key: `error-${index}`, message }));
    }

    async loadStatus() {
        try {
            this.status = await getStatus();
            return true;
        } catch (error) {
            this.errors = reduceErrors(error);
            return false;
        }
    }

    handleConnect() {
        // Opened synchronously, inside the click: browsers only allow a popup from a user
        // gesture, so nothing may be awaited before window.open.
        const url = buildConnectUrl(this.status.sivoBaseUrl, this.status.myDomainUrl);
        this.popup = window.open(url, 'sivoConnect', POPUP_FEATURES);
        this.notice = undefined;
        if (!this.popup) {
            this.errors = [
                'The browser blocked the SIVO window. Allow pop-ups for this Salesforce site, then click again.'
            ];
            return;
        }
        this.errors = [];
        this.connecting = true;
        this.linkBefore = this.status.tenantLink;
        this.expectedLink = undefined;
        this.startPolling();
    }

    handleMessage(event) {
        // Only SIVO's origin may report the result, and only while a connect is running.
        if (!this.connecting || event.origin !== originOf(this.status.sivoBaseUrl)) {
            return;
        }
        const result = parseConnectMessage(event.data, event.origin);
        if (!result) {
            return;
        }
        if (result.status === 'error') {
            this.fail([result.message]);
            return;
        }
        this.saveSettings(result.tenant);
    }

    async saveSettings(tenant) {
        this.expectedLink = tenant.url;
        try {
            await saveProviderSettings({ tenantLink: tenant.url, tenantName: tenant.name });
        } catch (error) {
            this.fail(reduceErrors(error));
        }
    }

    startPolling() {
        this.stopPolling();
        this.pollsLeft = POLL_LIMIT;
        // eslint-disable-next-line @lwc/lwc/no-async-operation
        this.pollTimer = setInterval(() => this.handlePoll(), POLL_INTERVAL_MS);
    }

    stopPolling() {
        if (this.pollTimer) {
            clearInterval(this.pollTimer);
            this.pollTimer = undefined;
        }
    }

    async handlePoll() {
        if (!this.expectedLink && this.popup && this.popup.closed) {
            this.pollsLeft = Math.min(this.pollsLeft, CLOSED_WINDOW_POLLS);
        }
        this.pollsLeft -= 1;
        const loaded = await this.loadStatus();
        if (!this.connecting) {
            return;
        }
        if (loaded && this.hasLanded()) {
            this.succeed();
        } else if (this.pollsLeft <= 0) {
            this.fail([
                this.expectedLink
                    ? 'SIVO connected, but saving the settings in this org did not finish. Check Setup → Deployment Status, then reload this page.'
                    : 'SIVO did not report a result. If you finished signing in, reload this page; otherwise click Connect again.'
            ]);
        }
    }

    // The tenant link SIVO reported (or, if SIVO's message never arrived, any new link) is
    // visible in the org: the custom-metadata deployment has finished.
    hasLanded() {
        const link = this.status.tenantLink;
        if (this.status.state !== 'connected' || !link) {
            return false;
        }
        return this.expectedLink ? link === this.expectedLink : link !== this.linkBefore;
    }

    succeed() {
        this.stopPolling();
        this.connecting = false;
        this.errors = [];
        this.notice = `Connected to SIVO tenant ${this.tenantLabel}.`;
        this.dispatchEvent(
            new ShowToastEvent({
                title: 'SIVO connected',
                message: this.notice,
                variant: 'success'
            })
        );
    }

    fail(messages) {
        this.stopPolling();
        this.connecting = false;
        this.errors = messages;
    }
}
