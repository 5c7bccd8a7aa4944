import type { Condition } from '../../conditions/condition.ts';
import { JOURNEY_LIMITS, type JourneyDefinition, type SendSpec, type Step } from './journey-definition.ts';

/**
 * A copy of a journey document with every default written out, so the runtime never has to know
 * them: performer enters, always available, one active instance, empty condition lists, no exit
 * rules or goals, settings from JOURNEY_LIMITS (hold-until steps get the journey's look-back),
 * sends enabled with the whole context and all traits, exit rules matched on the identifier when
 * there is one. Pure: the input is not changed, and no activation keys are made (the service does).
 */
export function withDefaults(doc: JourneyDefinition): JourneyDefinition {
  const copy = structuredClone(doc);
  const hasIdentifier = copy.entry.reentry?.mode === 'multiple_active';
  const settings = {
    lookback: copy.settings?.lookback ?? JOURNEY_LIMITS.defaultLookback,
    maxContextBytes: copy.settings?.maxContextBytes ?? JOURNEY_LIMITS.defaultMaxContextBytes,
    maxActiveInstancesPerProfile: copy.settings?.maxActiveInstancesPerProfile ?? JOURNEY_LIMITS.defaultMaxActiveInstancesPerProfile,
  };
  return {
    ...copy,
    description: copy.description ?? null,
    entry: {
      ...copy.entry,
      conditions: conditions(copy.entry.conditions),
      audienceId: copy.entry.audienceId ?? null,
      whoEnters: copy.entry.whoEnters ?? { type: 'performer' },
      availability: copy.entry.availability ?? { type: 'always' },
      reentry: copy.entry.reentry ?? { mode: 'one_active' },
    },
    steps: copy.steps.map((step) => stepWithDefaults(step, settings.lookback)),
    exitRules: (copy.exitRules ?? []).map((rule) => ({
      ...rule,
      conditions: conditions(rule.conditions),
      matchIdentifier: rule.matchIdentifier ?? hasIdentifier,
      ...(rule.send === undefined ? {} : { send: sendWithDefaults(rule.send) }),
    })),
    goals: (copy.goals ?? []).map((goal) => ({
      ...goal,
      conditions: conditions(goal.conditions),
      exitOnConversion: goal.exitOnConversion ?? false,
    })),
    settings,
  };
}

function stepWithDefaults(step: Step, lookback: string): Step {
  switch (step.type) {
    case 'hold_until':
      return {
        ...step,
        lookback: step.lookback ?? lookback,
        branches: step.branches.map((branch) => ({ ...branch, conditions: conditions(branch.conditions) })),
      };
    case 'data_split':
      return {
        ...step,
        branches: step.branches.map((branch) => ({ ...branch, conditions: conditions(branch.conditions), audiences: branch.audiences ?? [] })),
      };
    case 'random_split':
      return { ...step, sticky: step.sticky ?? false };
    case 'send':
      return { ...step, ...sendWithDefaults(step) };
    case 'delay':
    case 'exit':
      return step;
    default:
      return assertNever(step);
  }
}

function sendWithDefaults<T extends SendSpec>(spec: T): T {
  return {
    ...spec,
    target: spec.target ?? null,
    payload: { context: spec.payload?.context ?? 'all', traits: spec.payload?.traits ?? 'all' },
    mapping: spec.mapping ?? {},
    enabled: spec.enabled ?? true,
  };
}

function conditions(list: Condition[] | undefined): Condition[] {
  return list ?? [];
}

function assertNever(value: never): never {
  throw new Error(`unhandled step type ${JSON.stringify(value)}`);
}
