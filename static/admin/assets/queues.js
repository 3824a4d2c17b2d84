// Queues: placeholder while the page is built (issue 13); replaced by its module.

import { h } from './dom.js';

export async function queuesPage(root) {
  root.append(h('h1', {}, 'Queues'), h('p', { class: 'muted' }, 'This page is being built.'));
}
