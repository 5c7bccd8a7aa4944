import type { Condition } from '../../conditions/condition.ts';
import { validateConditions } from '../../conditions/validate-conditions.ts';
import { conditionListsExclusive } from './conditions-disjoint.ts';
import { journeyProblem, type JourneyProblem } from './journey-problem.ts';
import { asObject, asString, objectsAt, type JsonObject } from './read-document.ts';

/** Every condition list of the document with its JSON pointer (entry, branches, exit rules, goals). */
function conditionListsOf(doc: JsonObject): Array<{ list: unknown; at: string }> {
  const lists: Array<{ list: unknown; at: string }> = [];
  const add = (owner: JsonObject | undefined, at: string): void => {
    if (owner !== undefined && owner['conditions'] !== undefined) lists.push({ list: owner['conditions'], at: `${at}/conditions` });
  };
  add(asObject(doc['entry']), '/entry');
  for (const { item: step, at } of objectsAt(doc['steps'], '/steps')) {
    if (step['type'] !== 'hold_until' && step['type'] !== 'data_split') continue;
    for (const branch of objectsAt(step['branches'], `${at}/branches`)) add(branch.item, branch.at);
  }
  for (const rule of objectsAt(doc['exitRules'], '/exitRules')) add(rule.item, rule.at);
  for (const goal of objectsAt(doc['goals'], '/goals')) add(goal.item, goal.at);
  return lists;
}

/** Every problem in every condition list, each located in the document (condition_* codes). */
export function conditionProblems(doc: JsonObject): JourneyProblem[] {
  return conditionListsOf(doc).flatMap(({ list, at }) => validateConditions(list, at));
}

/**
 * Branches of a hold_until step that wait for the same event must be mutually exclusive, or which
 * one wins would depend on their order. Lists with problems of their own are not compared.
 */
export function overlapProblems(doc: JsonObject): JourneyProblem[] {
  const problems: JourneyProblem[] = [];
  for (const { item: step, at } of objectsAt(doc['steps'], '/steps')) {
    if (step['type'] !== 'hold_until') continue;
    const branches = objectsAt(step['branches'], `${at}/branches`).flatMap(({ item, at: branchAt }) => {
      const event = asString(item['event']);
      const conditions = item['conditions'] ?? [];
      const valid = event !== undefined && validateConditions(conditions, branchAt).length === 0;
      // The id is shown as written: String() would throw on an object such as {"toString": 1}.
      return valid ? [{ id: asString(item['id']) ?? JSON.stringify(item['id']) ?? 'without an id', event, conditions: conditions as Condition[], at: branchAt }] : [];
    });
    branches.forEach((later, i) => {
      for (const earlier of branches.slice(0, i)) {
        if (earlier.event !== later.event || conditionListsExclusive(earlier.conditions, later.conditions)) continue;
        problems.push(
          journeyProblem(
            'journey_branches_overlap',
            later.at,
            `branches '${earlier.id}' (${earlier.at}) and '${later.id}' both wait for '${later.event}' and their conditions can both hold`,
            'make them exclusive, e.g. with different equals values or non-overlapping ranges on the same property',
          ),
        );
      }
    });
  }
  return problems;
}
