import type { InputField } from '../../destinations/actions-core.ts';
import { validateMapping } from '../../mappings/validate-mapping.ts';
import { withActionDefaults } from '../../mappings/mapping-defaults.ts';
import { SEND_EVENT_ROOTS } from '../../mappings/send-event.ts';
import { checkDirectives } from '../../mappings/check-directives.ts';
import type { JourneyDefinition } from './definition/journey-definition.ts';
import { journeyProblem, type JourneyProblem } from './definition/journey-problem.ts';
import { contextKeysOf } from './definition/context-keys.ts';
import { sendsOf } from './activation-keys.ts';

/** A JSON pointer token for a key (RFC 6901: `~` and `/` escaped). */
function pointerToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The actions (with their fields) of a space's destination, or null when the space has no such destination. */
export type DestinationActions = (destinationId: string) => Promise<{ name: string; actions: Record<string, Record<string, InputField>> } | null>;

/** Whether a space's function exists and has a deployed version. */
export type FunctionState = (functionId: string) => Promise<'deployed' | 'not_deployed' | null>;

/**
 * The publish-time checks of every send's target: the destination exists in the space, its
 * plugin has the action, and the mapping fits the action's fields (every problem, at its path).
 * Sends without a target are recorded only and need nothing.
 */
export async function validateSendTargets(doc: JourneyDefinition, destinationActions: DestinationActions, functionState: FunctionState): Promise<JourneyProblem[]> {
  const problems: JourneyProblem[] = [];
  const contextKeys = contextKeysOf(doc);
  for (const { spec, path } of sendsOf(doc)) {
    const target = spec.target;
    if (!target || typeof target !== 'object') continue;
    if (target.type === 'function') {
      if (typeof target.functionId !== 'string') continue;
      const state = await functionState(target.functionId);
      if (state === null) {
        problems.push(journeyProblem('journey_unknown_function', `${path}/target/functionId`, `function '${target.functionId}' does not exist in this space`, 'GET /api/v1/functions lists them'));
      } else if (state === 'not_deployed') {
        problems.push(journeyProblem('journey_function_not_deployed', `${path}/target/functionId`, `function '${target.functionId}' has no deployed version`, 'POST /api/v1/functions/{id}/deploy'));
      }
      // A function takes any event: only the directives themselves can be wrong.
      for (const [key, value] of Object.entries(spec.mapping ?? {})) {
        problems.push(...checkDirectives(value, `${path}/mapping/${pointerToken(key)}`, { roots: SEND_EVENT_ROOTS, contextKeys }));
      }
      continue;
    }
    if (target.type !== 'destination' || typeof target.destinationId !== 'string') continue;
    const destination = await destinationActions(target.destinationId);
    if (!destination) {
      problems.push(journeyProblem('journey_unknown_destination', `${path}/target/destinationId`, `destination '${target.destinationId}' does not exist in this space`, 'GET /api/v1/destinations lists them'));
      continue;
    }
    // Own properties only: an action named 'toString' or '__proto__' is not one of the plugin's.
    const fields = typeof target.action === 'string' && Object.hasOwn(destination.actions, target.action) ? destination.actions[target.action] : undefined;
    if (!fields) {
      problems.push(journeyProblem('journey_unknown_action', `${path}/target/action`,
        `destination '${destination.name}' has no action '${target.action}'`, `its actions: ${Object.keys(destination.actions).join(', ')}`));
      continue;
    }
    problems.push(...validateMapping(fields, spec.mapping ?? {}, {
      basePath: `${path}/mapping`, scope: { roots: SEND_EVENT_ROOTS, contextKeys },
    }));
  }
  return problems;
}

/**
 * Copies each destination action's field defaults into its send's mapping (actions-core does not
 * apply defaults when it runs an action, so the stored mapping must carry them). Sends whose
 * destination or action cannot be resolved are left as they are; publishing reports them.
 */
export async function withSendDefaults(doc: JourneyDefinition, destinationActions: DestinationActions): Promise<JourneyDefinition> {
  const copy = structuredClone(doc);
  for (const { spec } of sendsOf(copy)) {
    const target = spec.target;
    if (!target || target.type !== 'destination') continue;
    const actions = (await destinationActions(target.destinationId))?.actions;
    const fields = actions && Object.hasOwn(actions, target.action) ? actions[target.action] : undefined;
    if (fields) spec.mapping = withActionDefaults(fields, spec.mapping ?? {});
  }
  return copy;
}
