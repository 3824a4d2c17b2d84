// Unit tests of the pure parts of static/shared/media.js's DevicePicker: reading saved choices
// (the old {kind: id} shape too), which device a choice selects when device ids changed, how a
// choice that arrives later (SIVO's copy) meets this browser's, and the labels SIVO keeps.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { importStatic } from './helpers/static-modules.mjs';

const { chooseDevice, choiceLabels, labelChoices, laterChoice, readChoices } = await importStatic('shared/media.js');

const HEADSET = { deviceId: 'a1b2', label: 'Headset (Jabra Evolve 65)' };
const DESK = { deviceId: 'c3d4', label: 'Desk Speakers' };
const TWIN = { deviceId: 'e5f6', label: 'Headset (Jabra Evolve 65)' };

describe('readChoices', () => {
  test('the current shape is kept, the old {kind: id} becomes a choice without a label', () => {
    assert.deepEqual(readChoices({ mic: { id: 'a1b2', label: 'Headset' }, speaker: 'c3d4' }), {
      mic: { id: 'a1b2', label: 'Headset' },
      speaker: { id: 'c3d4', label: '' },
    });
    assert.deepEqual(readChoices({ ringer: '' }), { ringer: { id: '', label: '' } });
  });

  test('junk is dropped: unknown kinds, wrong types, not an object', () => {
    assert.deepEqual(readChoices({ camera: 'x', mic: 5, speaker: { id: 7, label: ['y'] } }), {
      speaker: { id: '', label: '' },
    });
    for (const junk of [null, undefined, 'mic', 3, ['a1b2'], true]) assert.deepEqual(readChoices(junk), {});
    assert.equal(readChoices({ mic: { id: 'x'.repeat(5000), label: '' } }).mic.id.length, 500);
  });
});

describe('chooseDevice', () => {
  test('the saved id first, when the browser still offers it', () => {
    assert.equal(chooseDevice([HEADSET, TWIN], { id: 'e5f6', label: TWIN.label }), 'e5f6');
  });

  test('a new id for the same device: found by its label (the first with it)', () => {
    assert.equal(chooseDevice([DESK, HEADSET, TWIN], { id: 'gone', label: HEADSET.label }), 'a1b2');
    assert.equal(chooseDevice([DESK, HEADSET], { id: '', label: 'Desk Speakers' }), 'c3d4');
  });

  test('neither id nor label offered, or no choice: the system default', () => {
    assert.equal(chooseDevice([DESK], { id: 'gone', label: 'Unplugged' }), '');
    assert.equal(chooseDevice([DESK], { id: 'gone', label: '' }), ''); // the old shape, id gone
    assert.equal(chooseDevice([DESK], undefined), '');
    assert.equal(chooseDevice([{ deviceId: 'x', label: '' }], { id: '', label: '' }), ''); // no labels yet
    assert.equal(chooseDevice([], { id: 'a1b2', label: HEADSET.label }), '');
  });
});

describe('laterChoice', () => {
  const local = { id: 'c3d4', label: 'Desk Speakers' };

  test('this browser has no choice: the later one is taken, to be matched by label', () => {
    assert.deepEqual(laterChoice(undefined, { id: '', label: HEADSET.label }, []), { id: '', label: HEADSET.label });
    assert.deepEqual(laterChoice({ id: '', label: '' }, { id: '', label: 'X' }, [DESK]), { id: '', label: 'X' });
  });

  test('a device here has the later label: it wins, with its id', () => {
    assert.deepEqual(laterChoice(local, { id: '', label: HEADSET.label }, [DESK, HEADSET]), {
      id: 'a1b2',
      label: HEADSET.label,
    });
  });

  test("the same label keeps this browser's id; another computer's label changes nothing", () => {
    assert.equal(laterChoice(local, { id: '', label: 'Desk Speakers' }, [DESK]), local);
    assert.equal(laterChoice(local, { id: '', label: 'Office Dock' }, [DESK, HEADSET]), local);
    assert.equal(laterChoice(local, { id: '', label: HEADSET.label }, []), local); // labels not shown yet
  });

  test('no later label (the system default, or nothing kept): this browser decides', () => {
    assert.equal(laterChoice(local, { id: '', label: '' }, [DESK]), local);
    assert.equal(laterChoice(local, undefined, [DESK]), local);
    assert.equal(laterChoice(undefined, undefined, [DESK]), null);
  });
});

describe('labels for SIVO', () => {
  test('choiceLabels: each kind by label, null for the default or an unknown label', () => {
    const saved = { mic: { id: 'a1b2', label: HEADSET.label }, speaker: { id: '', label: '' }, ringer: { id: 'old', label: '' } };
    assert.deepEqual(choiceLabels(saved), { mic: HEADSET.label, speaker: null, ringer: null });
    assert.deepEqual(choiceLabels({}), { mic: null, speaker: null, ringer: null });
  });

  test('choiceLabels: a label SIVO would refuse (too long, two lines, a lone surrogate) is left out', () => {
    const saved = {
      mic: { id: 'a', label: 'm'.repeat(201) },
      speaker: { id: 'b', label: 'Line one\nLine two' },
      ringer: { id: 'c', label: 'Bad \ud800' },
    };
    assert.deepEqual(choiceLabels(saved), { mic: null, speaker: null, ringer: null });
    assert.equal(choiceLabels({ mic: { id: 'a', label: 'm'.repeat(200) } }).mic.length, 200);
    assert.equal(choiceLabels({ mic: { id: 'a', label: 'Casque 🎧 (USB)' } }).mic, 'Casque 🎧 (USB)');
  });

  test('labelChoices: what GET /softphone/preferences answers, as choices for restore()', () => {
    const labels = { mic: HEADSET.label, speaker: null, ringer: 'Desk Speakers', updated_at: '2026-12-02T09:00:00.000Z' };
    assert.deepEqual(labelChoices(labels), {
      mic: { id: '', label: HEADSET.label },
      ringer: { id: '', label: 'Desk Speakers' },
    });
    assert.deepEqual(readChoices(labelChoices(labels)), labelChoices(labels)); // restore() reads them as is
    for (const junk of [null, 'x', { mic: 5 }]) assert.deepEqual(labelChoices(junk), {});
  });

  test('a round trip through SIVO selects the same devices under new ids', () => {
    const saved = { mic: { id: 'a1b2', label: HEADSET.label }, ringer: { id: 'c3d4', label: DESK.label } };
    const back = labelChoices(choiceLabels(saved));
    const reloaded = [{ deviceId: 'n1', label: DESK.label }, { deviceId: 'n2', label: HEADSET.label }];
    assert.equal(chooseDevice(reloaded, back.mic), 'n2');
    assert.equal(chooseDevice(reloaded, back.ringer), 'n1');
    assert.equal(chooseDevice(reloaded, back.speaker), '');
  });
});
