// importStatic('softphone/opencti-model.js') imports static/softphone/opencti-model.js as an
// ES module (see esm-hooks.mjs).
import { register } from 'node:module';

register('./esm-hooks.mjs', import.meta.url);

export function importStatic(path) {
  return import(new URL(`../../../static/${path}`, import.meta.url).href);
}
