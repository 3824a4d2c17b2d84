// The last page of the softphone's Salesforce sign-in popup (GET /salesforce?autoConnect=1,
// agent path). It hands the one-time ticket, or what went wrong, to the softphone that opened
// it, addressed to SIVO's own origin only, then closes. Without an opener (the window was
// opened by hand, or a page on the way cut the link) the page itself says what to do.

const main = document.getElementById('signin');
const { ticket, error, message } = main.dataset;
const note = ticket
  ? { type: 'sivo.softphone.signin', ticket }
  : { type: 'sivo.softphone.signin', error: error || 'sign_in_failed', message };

document.getElementById('signin-close').addEventListener('click', () => window.close());

const opener = window.opener;
if (opener && !opener.closed) {
  opener.postMessage(note, window.location.origin);
  window.close();
} else if (ticket) {
  document.getElementById('signin-title').textContent = 'Not signed in';
  document.getElementById('signin-what').textContent =
    'This window lost its link to the softphone, so the sign-in could not reach it.';
  document.getElementById('signin-todo').textContent =
    'Close this window, then choose Sign in with Salesforce in the softphone again.';
}
