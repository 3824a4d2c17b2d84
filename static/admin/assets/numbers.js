// Numbers: placeholder while the page is built (issue 13); replaced by its module.

import { h } from './dom.js';

export async function numbersPage(root) {
  root.append(h('h1', {}, 'Numbers'), h('p', { class: 'muted' }, 'This page is being built.'));
}
