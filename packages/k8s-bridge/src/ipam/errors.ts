/**
 * Errors of the IPAM family. Allocation failures are results, not exceptions (a full pool is a normal
 * state); these are thrown only for input that can never work: a pool list that does not parse or whose
 * pools overlap, or a Services file that is not a list of Services.
 */

export interface IpamProblem {
  /** Where, e.g. `pools[1].addresses[0]` or `document 2: items[0].spec.ports[1].port`. */
  readonly path: string;
  readonly reason: string;
}

function describe(intro: string, problems: readonly IpamProblem[]): string {
  return `${intro}:\n` + problems.map((p) => `  ${p.path === '' ? '(top)' : p.path}: ${p.reason}`).join('\n');
}

/** The pools given to the Allocator are unusable (bad address, overlap, duplicate name, bad selector). */
export class IpamConfigError extends Error {
  readonly code = 'ERR_IPAM_POOLS_INVALID';
  readonly problems: readonly IpamProblem[];

  constructor(problems: readonly IpamProblem[]) {
    super(describe('invalid address pools', problems));
    this.name = 'IpamConfigError';
    this.problems = problems;
  }
}

/** A Services file (for `k8s-bridge allocate`) that is not YAML of Service objects. */
export class ServiceFileError extends Error {
  readonly code = 'ERR_SERVICE_FILE_INVALID';
  readonly problems: readonly IpamProblem[];

  constructor(source: string, problems: readonly IpamProblem[]) {
    super(describe(`invalid Services file ${source}`, problems));
    this.name = 'ServiceFileError';
    this.problems = problems;
  }
}
