/** Test helpers: the fixture files and the problems of an input that must be refused. */
import { fileURLToPath } from 'node:url';
import type { ConfigProblem } from 'bgp-speaker';
import { ConfigError } from 'bgp-speaker';
import { loadConfigFile, parseConfigText } from '../load.js';
import type { BridgeConfig } from '../model.js';

/** The absolute path of fixtures/k8s-bridge/<name>. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`../../../../../fixtures/k8s-bridge/${name}`, import.meta.url));
}

export function loadFixture(name: string): BridgeConfig {
  return loadConfigFile(fixture(name));
}

/** The problems of a refused input; throws when it is accepted. */
export function problemsOfText(text: string): ConfigProblem[] {
  return problemsOf(() => parseConfigText(text, 'test.yaml'));
}

export function problemsOfFixture(name: string): ConfigProblem[] {
  return problemsOf(() => loadFixture(name));
}

function problemsOf(run: () => BridgeConfig): ConfigProblem[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('expected a ConfigError, the input was accepted');
}

/** The reason given for `path`, or undefined. */
export function reasonAt(problems: readonly ConfigProblem[], path: string): string | undefined {
  return problems.find((p) => p.path === path)?.reason;
}
