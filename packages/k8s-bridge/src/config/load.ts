/**
 * Reads a config file, tells which kind of input it is, and returns the validated model or a
 * ConfigError listing every problem (YAML errors with line and column, the rest with key paths).
 * Nothing is applied from an input with any error.
 *
 * - kubespray variables: one YAML mapping setting metallb_* variables (a group_vars file). Read as
 *   YAML 1.1, as Ansible reads it: `metallb_enabled: yes` is true there.
 * - MetalLB objects: documents with apiVersion metallb.io/..., as `kubectl apply -f` takes them
 *   (or a `kubectl get -o yaml` List). Read as YAML 1.2.
 */
import { readFileSync } from 'node:fs';
import type { ConfigProblem } from 'bgp-speaker';
import { ConfigError } from 'bgp-speaker';
import { LineCounter, parseAllDocuments } from 'yaml';
import { Checker } from './checker.js';
import type { Dict } from './checker.js';
import { parseCrds } from './crds.js';
import { isKubesprayVars, parseKubespray } from './kubespray.js';
import type { BridgeConfig } from './model.js';
import { resolveConfig } from './validate.js';

export type InputKind = 'kubespray' | 'crds';

/** Which kind of input these documents are; undefined when neither. */
export function detectInput(documents: readonly unknown[]): InputKind | undefined {
  const present = documents.filter((d) => d !== null && d !== undefined);
  if (present.length === 1 && isKubesprayVars(present[0]) && (present[0] as Dict)['apiVersion'] === undefined) return 'kubespray';
  if (present.some((d) => typeof d === 'object' && d !== null && !Array.isArray(d) && (d as Dict)['apiVersion'] !== undefined)) return 'crds';
  return undefined;
}

/**
 * The model from already parsed documents (YAML documents, or objects read from the cluster),
 * or every problem. This is the one entry point every source goes through.
 */
export function resolveDocuments(documents: readonly unknown[]): BridgeConfig | readonly ConfigProblem[] {
  const check = new Checker();
  const kind = detectInput(documents);
  if (kind === undefined) {
    check.fail(
      '',
      documents.every((d) => d === null || d === undefined)
        ? 'the input is empty'
        : 'is neither kubespray variables (a mapping with metallb_* keys) nor MetalLB objects (documents with apiVersion metallb.io/...)',
    );
    return check.problems;
  }
  const draft = kind === 'kubespray' ? parseKubespray(check, documents.find((d) => d !== null && d !== undefined) as Dict) : parseCrds(check, documents);
  // Cross-object checks run only on inputs whose objects are each valid: a pool dropped for a bad
  // CIDR would otherwise come back as "names pool X, which is not defined".
  if (check.problems.length > 0) return check.problems;
  if (draft === undefined) throw new Error('internal error: a parser returned no draft and no problem');
  return resolveConfig(check, draft);
}

/** Parses YAML text; throws ConfigError naming `source` and every problem. */
export function parseConfigText(text: string, source: string): BridgeConfig {
  let documents = parseYaml(text, source, '1.2');
  if (detectInput(documents) === 'kubespray') documents = parseYaml(text, source, '1.1');
  const result = resolveDocuments(documents);
  if (isProblems(result)) throw new ConfigError(source, result);
  return result;
}

export function loadConfigFile(path: string): BridgeConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    throw new ConfigError(path, [{ path: '', reason: `cannot read the file (${reason})` }]);
  }
  return parseConfigText(text, path);
}

export function isProblems(result: BridgeConfig | readonly ConfigProblem[]): result is readonly ConfigProblem[] {
  return Array.isArray(result);
}

function parseYaml(text: string, source: string, version: '1.1' | '1.2'): unknown[] {
  const lines = new LineCounter();
  const parsed = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: true, lineCounter: lines, version, merge: version === '1.1' });
  const documents = Array.isArray(parsed) ? parsed : [];
  const problems: ConfigProblem[] = [];
  for (const document of documents) {
    for (const error of document.errors) {
      const where = lines.linePos(error.pos[0]);
      problems.push({ path: `line ${where.line}, column ${where.col}`, reason: error.message.split('\n')[0] ?? error.message });
    }
  }
  if (problems.length > 0) throw new ConfigError(source, problems);
  return documents.map((document) => document.toJS({ maxAliasCount: 100 }) as unknown);
}
