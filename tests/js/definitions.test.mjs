// Unit tests of static/admin/assets/definitions.js: each page's "How these are counted"
// holds the definitions it should, and docs/definitions.md says each of them word for word
// (the pages and the doc cannot drift apart).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

import { importStatic } from './helpers/static-modules.mjs';

const m = await importStatic('admin/assets/definitions.js');

// The doc's quoted paragraphs, as one line of text: "> " and line breaks removed.
const doc = readFileSync(new URL('../../docs/definitions.md', import.meta.url), 'utf8')
  .split('\n')
  .map((line) => line.replace(/^> ?/, ''))
  .join(' ')
  .replace(/\s+/g, ' ');

describe('definitions', () => {
  test('docs/definitions.md holds every definition word for word', () => {
    for (const [key, { text }] of Object.entries(m.DEFINITIONS)) {
      assert.ok(doc.includes(text), `docs/definitions.md lacks ${key}: ${text}`);
    }
  });

  test('every definition is shown on some page, and every page names only known ones', () => {
    const shown = new Set(Object.values(m.PAGE_DEFINITIONS).flat());
    assert.deepEqual([...shown].sort(), Object.keys(m.DEFINITIONS).sort());
  });

  test('each page explains its own figures: the reports and the history differ on answered', () => {
    const terms = (page) => m.definitionsFor(page).map(([term]) => term);
    assert.deepEqual(terms('reports'), ['Offered', 'Answered', 'Abandoned', 'Missed', 'Service level', 'Threshold', 'Wait time', 'Handle time', 'After-call work']);
    assert.deepEqual(terms('wallboard'), ['Service level', 'Answered', 'Abandoned', 'Threshold', 'Wait time', 'After-call work']);
    assert.deepEqual(terms('calls'), ['In progress', 'Answered', 'Abandoned', 'Missed', 'Unanswered', 'Wait time', 'Handle time']);
    const answered = (page) => m.definitionsFor(page).find(([term]) => term === 'Answered')[1];
    assert.match(answered('reports'), /still connected/);
    assert.match(answered('calls'), /still connected is in progress, not answered/);
    assert.match(m.definitionsFor('wallboard')[0][1], /last hour/);
    assert.match(m.definitionsFor('reports')[4][1], /chosen period/);
  });

  test('an unknown page is refused', () => {
    assert.throws(() => m.definitionsFor('settings'), /no definitions for the page settings/);
  });
});
