// "How these are counted": a page's definitions (definitions.js) in a <details> the user
// opens, closed by default. A native disclosure: keyboard and screen readers need nothing
// more (its <summary> is the button, its state is announced).

import { h } from './dom.js';
import { definitionsFor } from './definitions.js';

export function countedHelp(page) {
  return h(
    'details',
    { class: 'card counted-help' },
    h('summary', {}, 'How these are counted'),
    h(
      'dl',
      {},
      definitionsFor(page).flatMap(([term, text]) => [h('dt', {}, term), h('dd', {}, text)]),
    ),
    h('p', { class: 'muted small' }, 'The same definitions, with how each is computed, are in docs/definitions.md.'),
  );
}
