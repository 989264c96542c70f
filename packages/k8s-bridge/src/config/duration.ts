/**
 * Kubernetes metav1.Duration text, which is Go's time.ParseDuration format: "90s", "1m30s",
 * "1.5h", "0". BGP timers are whole seconds, so anything else is refused rather than rounded.
 */
const UNIT_MS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /([0-9]*\.?[0-9]*)(ns|us|µs|μs|ms|s|m|h)/y;

/** Whole seconds, or the reason the text is not a duration of whole seconds. */
export function parseDurationSeconds(text: string): { seconds: number } | { error: string } {
  const hint = 'expected a duration such as "90s" or "1m30s"';
  if (text === '0') return { seconds: 0 };
  if (text === '' || text.startsWith('-')) return { error: `${JSON.stringify(text)} is not a positive duration (${hint})` };
  const body = text.startsWith('+') ? text.slice(1) : text;
  let ms = 0;
  PART.lastIndex = 0;
  let consumed = 0;
  while (consumed < body.length) {
    PART.lastIndex = consumed;
    const match = PART.exec(body);
    const digits = match?.[1];
    const unit = match?.[2];
    if (match === null || digits === undefined || unit === undefined || digits === '' || digits === '.') {
      return { error: `${JSON.stringify(text)} is not a duration (${hint})` };
    }
    ms += Number(digits) * (UNIT_MS[unit] as number);
    consumed = PART.lastIndex;
  }
  const seconds = Math.round(ms) / 1000;
  if (!Number.isInteger(seconds) || Math.abs(ms - seconds * 1000) > 1e-6) {
    return { error: `${JSON.stringify(text)} is not a whole number of seconds (BGP timers are in seconds)` };
  }
  return { seconds };
}
