/** Command-line parsing shared by the bgp-speaker commands: anything wrong here is a usage error (exit 2). */
import { parseArgs } from 'node:util';

/** The command line is wrong: main() prints the message and the usage text, and exits 2. */
export class UsageError extends Error {}

/** One option as node:util parseArgs takes it; `multiple: true` for options that may be repeated. */
export interface OptionDeclaration {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
}
export type OptionSpec = Readonly<Record<string, OptionDeclaration>>;

type OptionValue<O extends OptionDeclaration> = O['type'] extends 'string'
  ? O extends { readonly multiple: true } ? string[] : string
  : O extends { readonly multiple: true } ? boolean[] : boolean;

/** What parseArgs (strict) returns for `spec`: every option may be absent. */
export type OptionValues<T extends OptionSpec> = { -readonly [K in keyof T]?: OptionValue<T[K]> };

/** Options only, no positionals (as `run`, `neighbors` and `routes` take). */
export function options<T extends OptionSpec>(args: readonly string[], spec: T): OptionValues<T> {
  return command(args, spec, []).values;
}

/**
 * Options and exactly the named positionals, in order: `announce PREFIX`, `neighbor ADDRESS ACTION`.
 * Repeated options are declared with `multiple: true` and come back as arrays.
 */
export function command<T extends OptionSpec>(
  args: readonly string[],
  spec: T,
  positionalNames: readonly string[],
): { values: OptionValues<T>; positionals: readonly string[] } {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: spec, strict: true, allowPositionals: positionalNames.length > 0 });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length < positionalNames.length) {
    throw new UsageError(`missing ${positionalNames.slice(positionals.length).join(' ')}`);
  }
  if (positionals.length > positionalNames.length) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[positionalNames.length])}`);
  }
  // parseArgs in strict mode gives exactly these types; its own generic type cannot follow a spec passed in.
  return { values: values as OptionValues<T>, positionals };
}

/** A decimal option value such as `--med 10` (no signs, no fractions, no hex); range checks come later. */
export function decimalOption(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[0-9]{1,10}$/.test(text)) throw new UsageError(`--${name} must be a decimal integer, got ${JSON.stringify(text)}`);
  return Number(text);
}
