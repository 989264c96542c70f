/**
 * Kubernetes label selectors (metav1.LabelSelector): parsed with the API server's rules for keys,
 * values and operators, and matched the way labels.SelectorFromSet / LabelSelectorAsSelector do.
 */
import type { Checker } from './checker.js';
import { describe, join } from './checker.js';
import type { LabelSelector, LabelSelectorRequirement } from './model.js';

const OPERATORS: readonly LabelSelectorRequirement['operator'][] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];
/** A label name or value: at most 63 characters, alphanumeric at both ends, - _ . inside. */
const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * The key spellings of a selector. MetalLB's old ConfigMap format (which kubespray's flat
 * metallb_peers[].node_selectors is rendered into) spells them match-labels and match-expressions.
 */
export interface SelectorKeys {
  readonly matchLabels: string;
  readonly matchExpressions: string;
}
export const CRD_SELECTOR_KEYS: SelectorKeys = { matchLabels: 'matchLabels', matchExpressions: 'matchExpressions' };
export const CONFIGMAP_SELECTOR_KEYS: SelectorKeys = { matchLabels: 'match-labels', matchExpressions: 'match-expressions' };

export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return `label key ${JSON.stringify(key)} has an invalid prefix (a lower-case DNS subdomain)`;
  }
  if (!NAME.test(name)) {
    return `label key ${JSON.stringify(key)} is invalid (at most 63 characters, alphanumeric at both ends, - _ . inside)`;
  }
  return undefined;
}

export function labelValueProblem(value: string): string | undefined {
  if (value === '' || NAME.test(value)) return undefined;
  return `label value ${JSON.stringify(value)} is invalid (at most 63 characters, alphanumeric at both ends, - _ . inside)`;
}

/** metadata.labels or matchLabels: keys and values checked. */
export function parseLabels(check: Checker, value: unknown, path: string): Record<string, string> | undefined {
  const labels = check.stringMap(value, path);
  if (labels === undefined) return undefined;
  for (const [key, item] of Object.entries(labels)) {
    const keyProblem = labelKeyProblem(key);
    if (keyProblem !== undefined) check.fail(join(path, key), keyProblem);
    const valueProblem = labelValueProblem(item);
    if (valueProblem !== undefined) check.fail(join(path, key), valueProblem);
  }
  return labels;
}

export function parseLabelSelector(check: Checker, value: unknown, path: string, keys: SelectorKeys = CRD_SELECTOR_KEYS): LabelSelector | undefined {
  const raw = check.object(value, path, [keys.matchLabels, keys.matchExpressions]);
  if (raw === undefined) return undefined;
  const mark = check.problems.length;
  const labelsPath = join(path, keys.matchLabels);
  const matchLabels = raw[keys.matchLabels] === undefined || raw[keys.matchLabels] === null ? {} : parseLabels(check, raw[keys.matchLabels], labelsPath);
  const expressionsPath = join(path, keys.matchExpressions);
  const list = raw[keys.matchExpressions] === undefined || raw[keys.matchExpressions] === null ? [] : (check.list(raw[keys.matchExpressions], expressionsPath) ?? []);
  const matchExpressions: LabelSelectorRequirement[] = [];
  list.forEach((item, index) => {
    const requirement = parseRequirement(check, item, `${expressionsPath}[${index}]`);
    if (requirement !== undefined) matchExpressions.push(requirement);
  });
  if (check.failedSince(mark) || matchLabels === undefined) return undefined;
  return { matchLabels, matchExpressions };
}

function parseRequirement(check: Checker, value: unknown, path: string): LabelSelectorRequirement | undefined {
  const raw = check.object(value, path, ['key', 'operator', 'values']);
  if (raw === undefined) return undefined;
  const mark = check.problems.length;
  const key = check.string(raw['key'], `${path}.key`);
  if (key !== undefined) {
    const problem = labelKeyProblem(key);
    if (problem !== undefined) check.fail(`${path}.key`, problem);
  }
  const operator = raw['operator'];
  if (typeof operator !== 'string' || !(OPERATORS as readonly string[]).includes(operator)) {
    check.fail(`${path}.operator`, `must be one of ${OPERATORS.join(', ')}, got ${describe(operator)}`);
  }
  const values = check.stringList(raw['values'], `${path}.values`);
  values.forEach((item, index) => {
    const problem = labelValueProblem(item);
    if (problem !== undefined) check.fail(`${path}.values[${index}]`, problem);
  });
  if (operator === 'In' || operator === 'NotIn') {
    if (values.length === 0) check.fail(`${path}.values`, `must not be empty for operator ${operator}`);
  } else if (values.length > 0) {
    check.fail(`${path}.values`, `must be empty for operator ${String(operator)}`);
  }
  if (check.failedSince(mark)) return undefined;
  return { key: key as string, operator: operator as LabelSelectorRequirement['operator'], values };
}

/** A list of selectors (nodeSelectors, namespaceSelectors...), repeats refused as MetalLB does. */
export function parseSelectorList(check: Checker, value: unknown, path: string, keys: SelectorKeys = CRD_SELECTOR_KEYS): LabelSelector[] {
  const list = value === undefined || value === null ? [] : (check.list(value, path) ?? []);
  const out: LabelSelector[] = [];
  const seen: string[] = [];
  list.forEach((item, index) => {
    const selector = parseLabelSelector(check, item, `${path}[${index}]`, keys);
    if (selector === undefined) return;
    const key = selectorKey(selector);
    if (seen.includes(key)) check.fail(`${path}[${index}]`, 'is the same selector as an earlier entry');
    else {
      seen.push(key);
      out.push(selector);
    }
  });
  return out;
}

/** Whether `labels` satisfy `selector` (an empty selector matches everything). */
export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels)) {
    if (labels[key] !== value) return false;
  }
  for (const requirement of selector.matchExpressions) {
    const has = Object.hasOwn(labels, requirement.key);
    const value = labels[requirement.key];
    switch (requirement.operator) {
      case 'In':
        if (!has || !requirement.values.includes(value as string)) return false;
        break;
      case 'NotIn':
        if (has && requirement.values.includes(value as string)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default: {
        const never: never = requirement.operator;
        throw new Error(`unknown operator ${String(never)}`);
      }
    }
  }
  return true;
}

/** The rule for nodeSelectors and similar lists: empty matches everything, else any one must match. */
export function anySelectorMatches(selectors: readonly LabelSelector[], labels: Readonly<Record<string, string>>): boolean {
  return selectors.length === 0 || selectors.some((selector) => selectorMatches(selector, labels));
}

/** An order-independent identity for comparing selectors. */
export function selectorKey(selector: LabelSelector): string {
  const labels = Object.entries(selector.matchLabels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const expressions = selector.matchExpressions
    .map((e) => JSON.stringify([e.key, e.operator, [...e.values].sort()]))
    .sort();
  return JSON.stringify([labels, expressions]);
}
