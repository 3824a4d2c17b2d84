// Agents: placeholder while the page is built (issue 13); replaced by its module.

import { h } from './dom.js';

export async function agentsPage(root) {
  root.append(h('h1', {}, 'Agents'), h('p', { class: 'muted' }, 'This page is being built.'));
}
