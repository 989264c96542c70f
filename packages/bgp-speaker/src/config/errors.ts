/**
 * A configuration error names the key path (`peers[1].holdTime`) and the reason, and all problems
 * of one file are reported together so an operator fixes them in one pass.
 */
export interface ConfigProblem {
  /** A key path such as `peers[0].password`; empty for the document itself. */
  readonly path: string;
  readonly reason: string;
}

export class ConfigError extends Error {
  readonly code = 'ERR_CONFIG_INVALID';
  readonly problems: readonly ConfigProblem[];

  constructor(source: string, problems: readonly ConfigProblem[]) {
    super(
      `invalid configuration in ${source}:\n` +
        problems.map((p) => `  ${p.path === '' ? '(document)' : p.path}: ${p.reason}`).join('\n'),
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
