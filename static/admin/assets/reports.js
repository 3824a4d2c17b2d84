// Reports: placeholder while the page is built (issue 13); replaced by its module.

import { h } from './dom.js';

export async function reportsPage(root) {
  root.append(h('h1', {}, 'Reports'), h('p', { class: 'muted' }, 'This page is being built.'));
}
