/**
 * Live reconfiguration: on SIGHUP, and when the config file changes, the file is validated again
 * and the difference handed to `apply`. Whatever goes wrong, the running configuration stays:
 * - an invalid file is logged with every key path and reason, and nothing changes;
 * - a change a running speaker cannot take (asn, routerId, listen) is logged and nothing changes,
 *   not even the parts that could be applied, so the speaker never runs half of a file;
 * - an unchanged file logs "no change".
 * Reloads never overlap: triggers that arrive during one run once more after it.
 *
 * The directory is watched, not the file: editors save by writing a new file and renaming it over
 * the old one, and a Kubernetes ConfigMap volume swaps its `..data` symlink, so a watch on the
 * file's own inode would see neither.
 */
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { ConfigError, loadConfigFile } from '../config/index.js';
import type { ConfigProblem, SpeakerConfig } from '../config/index.js';
import { diffConfig, summarizeDiff } from '../config/diff.js';
import type { ConfigDiff } from '../config/diff.js';
import type { Logger } from '../log.js';

const DEFAULT_DEBOUNCE_MS = 200;

/** The entry a Kubernetes ConfigMap or Secret volume re-points at each update (atomic writer). */
const KUBERNETES_DATA_LINK = '..data';

export type ReloadResult =
  | { readonly outcome: 'applied'; readonly applied: true; readonly diff: ConfigDiff }
  | { readonly outcome: 'unchanged'; readonly applied: false }
  | { readonly outcome: 'invalid'; readonly applied: false; readonly problems: readonly ConfigProblem[] }
  | { readonly outcome: 'restart-required'; readonly applied: false; readonly restartRequired: readonly string[] }
  /** `apply` threw, or the file could not be loaded for a reason other than its content. */
  | { readonly outcome: 'failed'; readonly applied: false; readonly error: Error }
  /** The watcher was closed before this reload could run. */
  | { readonly outcome: 'closed'; readonly applied: false };

export interface WatchConfigOptions {
  readonly path: string;
  /** The configuration running now; once `apply` resolves it must return the new one. */
  readonly current: () => SpeakerConfig;
  /** Applies a validated config whose diff is non-empty and needs no restart. */
  readonly apply: (next: SpeakerConfig, diff: ConfigDiff) => Promise<void>;
  readonly logger: Logger;
  /** Quiet time after the last file event before reloading; one save makes several events. */
  readonly debounceMs?: number;
  /** Aborting it closes the watcher. */
  readonly signal?: AbortSignal;
}

export interface ConfigWatcher {
  /** Reloads now (or right after the reload in progress); `reason` goes into the log. */
  reload(reason: string): Promise<ReloadResult>;
  /** Stops watching and removes the SIGHUP handler. A reload in progress finishes. */
  close(): void;
}

const CLOSED: ReloadResult = { outcome: 'closed', applied: false };

export function watchConfig(options: WatchConfigOptions): ConfigWatcher {
  const file = resolve(options.path);
  const log = options.logger.child({ config: file });
  const debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;

  let closed = false;
  let running: Promise<ReloadResult> | undefined;
  let queued: Promise<ReloadResult> | undefined;
  const queuedReasons = new Set<string>();

  function reload(reason: string): Promise<ReloadResult> {
    if (closed) return Promise.resolve(CLOSED);
    if (queued !== undefined) {
      queuedReasons.add(reason);
      return queued;
    }
    if (running === undefined) return start(reason);
    // One follow-up run for everything that arrived during this one: it reads the file as it is then.
    queuedReasons.add(reason);
    queued = running.then(() => {
      queued = undefined;
      const reasons = [...queuedReasons].join(', ');
      queuedReasons.clear();
      return closed ? CLOSED : start(reasons);
    });
    return queued;
  }

  function start(reason: string): Promise<ReloadResult> {
    const run = reloadOnce(reason)
      .catch((error: unknown) => failed(reason, 'config reload failed', error))
      .finally(() => {
        running = undefined;
      });
    running = run;
    return run;
  }

  async function reloadOnce(reason: string): Promise<ReloadResult> {
    let next: SpeakerConfig;
    try {
      next = loadConfigFile(file);
    } catch (error) {
      if (error instanceof ConfigError) {
        // Only key paths and reasons: validation never echoes a value that could be a password.
        log.error(
          { reason, problems: error.problems },
          `config not reloaded, the running one stays: ${error.problems.map(describeProblem).join('; ')}`,
        );
        return { outcome: 'invalid', applied: false, problems: error.problems };
      }
      return failed(reason, 'config not reloaded, the running one stays', error);
    }

    const diff = diffConfig(options.current(), next);
    if (diff.restartRequired.length > 0) {
      log.error(
        { reason, restartRequired: diff.restartRequired },
        `config not reloaded, the running one stays: ${diff.restartRequired.join('; ')} cannot change under running sessions; restart bgp-speaker to apply`,
      );
      return { outcome: 'restart-required', applied: false, restartRequired: diff.restartRequired };
    }
    if (diff.isEmpty) {
      log.info({ reason }, 'config reloaded: no change');
      return { outcome: 'unchanged', applied: false };
    }

    try {
      await options.apply(next, diff);
    } catch (error) {
      return failed(reason, `config reload failed while applying (${summarizeDiff(diff)})`, error);
    }
    log.info({ reason, ...loggableDiff(diff) }, `config reloaded: ${summarizeDiff(diff)}`);
    return { outcome: 'applied', applied: true, diff };
  }

  function failed(reason: string, message: string, error: unknown): ReloadResult {
    const cause = error instanceof Error ? error : new Error(String(error));
    log.error({ reason, error: cause.message }, `${message}: ${cause.message}`);
    return { outcome: 'failed', applied: false, error: cause };
  }

  // File events, debounced: a save is a burst (truncate, write, rename, symlink swap).
  let timer: NodeJS.Timeout | undefined;
  const onFileEvent = (_event: string, changed: string | null): void => {
    // Without a name (some platforms) we cannot tell; reloading an unchanged file costs one "no change" line.
    if (changed !== null && changed !== basename(file) && changed !== KUBERNETES_DATA_LINK) return;
    if (closed) return;
    if (timer === undefined) {
      timer = setTimeout(() => {
        timer = undefined;
        void reload('file changed');
      }, debounceMs);
    } else {
      timer.refresh();
    }
  };

  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(file), { persistent: false }, onFileEvent);
    watcher.on('error', (error) => {
      log.warn({ error: error.message }, 'stopped watching the config directory; SIGHUP still reloads');
      watcher?.close();
      watcher = undefined;
    });
  } catch (error) {
    log.warn({ error: (error as Error).message }, 'cannot watch the config directory; SIGHUP still reloads');
  }

  const onSighup = (): void => {
    void reload('SIGHUP');
  };
  process.on('SIGHUP', onSighup);

  function close(): void {
    if (closed) return;
    closed = true;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    watcher?.close();
    watcher = undefined;
    process.off('SIGHUP', onSighup);
    options.signal?.removeEventListener('abort', close);
  }

  if (options.signal?.aborted === true) close();
  else options.signal?.addEventListener('abort', close, { once: true });

  return { reload, close };
}

function describeProblem(problem: ConfigProblem): string {
  return `${problem.path === '' ? '(document)' : problem.path}: ${problem.reason}`;
}

/** The diff as log fields: addresses, prefixes and change descriptions, never a PeerConfig (it holds the password). */
function loggableDiff(diff: ConfigDiff): Record<string, unknown> {
  return {
    peersAdded: diff.peersAdded.map((peer) => peer.address),
    peersRemoved: diff.peersRemoved,
    peersChanged: diff.peersChanged.map((change) => ({ address: change.address, resetSession: change.resetSession, changes: change.details })),
    announcementsAdded: diff.announcementsAdded.map((route) => route.prefix),
    announcementsRemoved: diff.announcementsRemoved,
    announcementsChanged: diff.announcementsChanged.map((route) => route.prefix),
    metricsChanged: diff.metricsChanged,
  };
}
