/**
 * bgp-speaker's ConfigChecker (a ConfigProblem per fault, all reported together), with what
 * MetalLB's objects and kubespray's variables need besides: warnings (valid but probably not
 * what the operator wants), string lists without repeats, and label maps.
 */
import { ConfigChecker, describeValue, joinPath } from 'bgp-speaker';
import type { ConfigDict } from 'bgp-speaker';

export type Dict = ConfigDict;
export { describeValue as describe, joinPath as join };

export class Checker extends ConfigChecker {
  readonly warnings: string[] = [];

  warn(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message);
  }

  /** Problems recorded since `mark` (a value of `problems.length` taken earlier). */
  failedSince(mark: number): boolean {
    return this.problems.length > mark;
  }

  /** A list of non-empty strings without repeats (MetalLB refuses duplicates in its name lists). */
  stringList(value: unknown, path: string): string[] {
    const list = value === undefined || value === null ? [] : (this.list(value, path) ?? []);
    const out: string[] = [];
    list.forEach((item, index) => {
      const text = this.string(item, `${path}[${index}]`);
      if (text === undefined) return;
      if (out.includes(text)) this.fail(`${path}[${index}]`, `${JSON.stringify(text)} is listed twice`);
      else out.push(text);
    });
    return out;
  }

  /** A mapping of string to string, as Kubernetes labels and matchLabels are. */
  stringMap(value: unknown, path: string): Record<string, string> | undefined {
    const raw = this.object(value, path);
    if (raw === undefined) return undefined;
    const out: Record<string, string> = {};
    for (const [key, item] of Object.entries(raw)) {
      if (typeof item !== 'string') {
        this.fail(joinPath(path, key), `must be a string (quote numbers and booleans in YAML), got ${describeValue(item)}`);
      } else out[key] = item;
    }
    return out;
  }
}
