/**
 * Kubernetes label selectors (metav1.LabelSelector, as k8s.io/apimachinery labels.Selector evaluates
 * them): matchLabels and every matchExpression must hold; an empty selector matches everything.
 */
import type { LabelSelector, LabelSelectorRequirement, Labels } from './types.js';

const OPERATORS: ReadonlySet<string> = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

export function matchesSelector(labels: Labels | undefined, selector: LabelSelector): boolean {
  const have = labels ?? {};
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (!Object.hasOwn(have, key) || have[key] !== value) return false;
  }
  for (const requirement of selector.matchExpressions ?? []) {
    if (!matchesRequirement(have, requirement)) return false;
  }
  return true;
}

function matchesRequirement(labels: Labels, requirement: LabelSelectorRequirement): boolean {
  const present = Object.hasOwn(labels, requirement.key);
  const values = requirement.values ?? [];
  switch (requirement.operator) {
    case 'In':
      return present && values.includes(labels[requirement.key] as string);
    case 'NotIn':
      return !present || !values.includes(labels[requirement.key] as string);
    case 'Exists':
      return present;
    case 'DoesNotExist':
      return !present;
    default: {
      const unknown: never = requirement.operator;
      throw new TypeError(`unknown label selector operator ${JSON.stringify(unknown)}`);
    }
  }
}

/**
 * What is wrong with a selector, as metav1.LabelSelectorAsSelector would refuse it: an unknown
 * operator, In/NotIn without values, Exists/DoesNotExist with values, an empty key. Empty when valid.
 */
export function selectorProblems(selector: LabelSelector): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (key === '') problems.push('matchLabels has an empty key');
    if (typeof value !== 'string') problems.push(`matchLabels.${key} must be a string`);
  }
  (selector.matchExpressions ?? []).forEach((requirement, i) => {
    const where = `matchExpressions[${i}]`;
    if (typeof requirement.key !== 'string' || requirement.key === '') problems.push(`${where}.key must be a non-empty string`);
    if (!OPERATORS.has(requirement.operator)) {
      problems.push(`${where}.operator must be one of In, NotIn, Exists, DoesNotExist (got ${JSON.stringify(requirement.operator)})`);
      return;
    }
    const count = requirement.values?.length ?? 0;
    if ((requirement.operator === 'In' || requirement.operator === 'NotIn') && count === 0) {
      problems.push(`${where}.values must be non-empty for operator ${requirement.operator}`);
    }
    if ((requirement.operator === 'Exists' || requirement.operator === 'DoesNotExist') && count > 0) {
      problems.push(`${where}.values must be empty for operator ${requirement.operator}`);
    }
  });
  return problems;
}
