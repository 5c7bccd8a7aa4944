import { readdirSync, readFileSync } from 'node:fs';
import { validateJourney } from '../../../engine/journeys/definition/validate-journey.ts';
const dir = new URL('../../../examples/journeys/', import.meta.url);
for (const f of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
  console.log(f, JSON.stringify(validateJourney(JSON.parse(readFileSync(new URL(f, dir), 'utf8'))), null, 1));
}
console.log(JSON.stringify(validateJourney({ name: 'x', entry: { event: 'a', conditions: [{path: 'a['}], audienceId: 3, reentry: { mode: 'multiple_active' } }, start: 's', steps: [
  { id: 's', type: 'send', eventName: 'x', next: 'e', target: 'q', payload: { context: ['a', 3], traits: 'some' } },
  { id: 'e', type: 'exit', foo: 1 },
  { id: 'd', type: 'delay', wait: { type: 'duration' }, next: 'e' },
  { id: 'q', type: 'nope' },
  { id: 't', type: 'send', eventName: 'x', next: 'e', target: { type: 'function' } },
]}), null, 1));
