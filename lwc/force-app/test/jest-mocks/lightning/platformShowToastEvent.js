// Replaces sfdx-lwc-jest's built-in stub so tests can import the event name and listen for
// toasts on the component (the real module is only available inside Salesforce).
export const ShowToastEventName = 'lightning__showtoast';

export class ShowToastEvent extends CustomEvent {
    constructor(toast) {
        super(ShowToastEventName, {
            bubbles: true,
            cancelable: true,
            composed: true,
            detail: toast
        });
    }
}
