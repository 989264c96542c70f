/**
 * Leader election through a coordination.k8s.io/v1 Lease, the protocol of client-go's
 * leaderelection package, so that our controller and others can share one Lease:
 *
 * - every retry period each candidate reads the Lease. A holder other than us is respected
 *   while the Lease record keeps changing: we note the local (monotonic) time we last saw it
 *   change, and only after leaseDurationSeconds without a change may we take it. Local
 *   observation, not the renewTime written by the holder, so clock skew between nodes is moot;
 * - taking or renewing is a replace carrying the resourceVersion we read: two candidates racing
 *   get one 200 and one 409 Conflict; creating a missing Lease races the same way (409
 *   AlreadyExists);
 * - the leader renews every retry period; a conflict on renewal means someone else wrote the
 *   Lease, and we stop leading at once; failing to renew for renewDeadlineMs also ends our term
 *   (before our Lease can expire for others, as renewDeadline < leaseDuration);
 * - stop() releases the Lease (empty holder) so a successor need not wait for it to expire.
 *
 * Lease times are metav1.MicroTime: six fractional digits, which V1MicroTime writes.
 */
import { V1MicroTime, type CoordinationV1Api, type V1Lease, type V1LeaseSpec } from '@kubernetes/client-node';
import { isConflict, isNotFound } from './errors.js';

export interface LeaderElectionOptions {
  readonly namespace: string;
  readonly name: string;
  /** This candidate's identity (pod name); unique among candidates. */
  readonly identity: string;
  /** How long others wait after the last renewal they saw. Whole seconds (the Lease field's unit). Default 15. */
  readonly leaseDurationSeconds?: number;
  /** How long the leader keeps trying to renew before it gives up. Default 10 000 ms; must be below the lease duration. */
  readonly renewDeadlineMs?: number;
  /** Time between attempts (and renewals). Default 2 000 ms. */
  readonly retryPeriodMs?: number;
  /** Monotonic milliseconds for expiry; default performance.now(). */
  readonly monotonicNow?: () => number;
  /** Wall clock for the Lease's timestamps; default Date.now(). */
  readonly wallNow?: () => number;
  readonly onStartedLeading?: () => void;
  readonly onStoppedLeading?: () => void;
  /** A different holder was observed (our own identity when we take the Lease). */
  readonly onNewLeader?: (identity: string) => void;
  /** A failed API call (the elector retries by itself); for logs. */
  readonly onError?: (err: unknown) => void;
}

type Attempt = 'acquired' | 'held-by-other' | 'conflict' | 'failed';

type ElectorState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'following' }
  | { readonly kind: 'leading'; readonly lastRenewal: number }
  | { readonly kind: 'stopped' };

function microTime(ms: number): V1MicroTime {
  return new V1MicroTime(ms);
}

/** The fields whose change shows the holder is alive. Read times come back as strings. */
function recordFingerprint(spec: V1LeaseSpec | undefined): string {
  const s = spec ?? {};
  const time = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v ?? ''));
  return JSON.stringify([s.holderIdentity ?? '', time(s.renewTime), time(s.acquireTime), s.leaseTransitions ?? 0, s.leaseDurationSeconds ?? 0]);
}

export class LeaderElector {
  private state: ElectorState = { kind: 'idle' };
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private observedFingerprint: string | undefined;
  private observedAt = 0;
  private currentLeader: string | undefined;
  /** Set when an attempt that was in flight during stop() took the Lease. */
  private heldByUsAfterRace = false;
  private readonly leaseDurationSeconds: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly mono: () => number;
  private readonly wall: () => number;

  constructor(
    private readonly api: CoordinationV1Api,
    private readonly options: LeaderElectionOptions,
  ) {
    this.leaseDurationSeconds = options.leaseDurationSeconds ?? 15;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    this.mono = options.monotonicNow ?? (() => performance.now());
    this.wall = options.wallNow ?? (() => Date.now());
    if (!Number.isInteger(this.leaseDurationSeconds) || this.leaseDurationSeconds < 1) throw new RangeError('leaseDurationSeconds must be a whole number >= 1');
    if (this.renewDeadlineMs >= this.leaseDurationSeconds * 1000) throw new RangeError('renewDeadlineMs must be below the lease duration');
    if (this.retryPeriodMs <= 0 || this.retryPeriodMs >= this.renewDeadlineMs) throw new RangeError('retryPeriodMs must be positive and below renewDeadlineMs');
  }

  get isLeader(): boolean {
    return this.state.kind === 'leading';
  }

  /** The holder last observed, if any. */
  get leader(): string | undefined {
    return this.currentLeader;
  }

  start(): void {
    if (this.state.kind !== 'idle') return;
    this.state = { kind: 'following' };
    this.schedule(0);
  }

  /**
   * Stops competing. A leader releases the Lease (unless `release` is false, which leaves it to
   * expire as after a crash) and reports onStoppedLeading.
   */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    if (this.state.kind === 'stopped') return;
    const wasLeading = this.state.kind === 'leading';
    this.state = { kind: 'stopped' };
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
    if (wasLeading || this.heldByUsAfterRace) {
      if (options.release ?? true) await this.release();
      if (wasLeading) this.options.onStoppedLeading?.();
    }
  }

  private schedule(delayMs: number): void {
    if (this.state.kind === 'stopped') return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.inFlight = this.round().finally(() => {
        this.inFlight = undefined;
      });
    }, delayMs);
  }

  private async round(): Promise<void> {
    const outcome = await this.tryAcquireOrRenew();
    const state = this.state;
    if (state.kind === 'stopped') {
      this.heldByUsAfterRace = outcome === 'acquired';
      return;
    }
    const now = this.mono();
    if (state.kind === 'leading') {
      if (outcome === 'acquired') this.state = { kind: 'leading', lastRenewal: now };
      else if (outcome === 'conflict' || outcome === 'held-by-other' || now - state.lastRenewal > this.renewDeadlineMs) this.stepDown();
    } else if (outcome === 'acquired') {
      this.state = { kind: 'leading', lastRenewal: now };
      this.options.onStartedLeading?.();
    }
    this.schedule(this.retryPeriodMs);
  }

  private stepDown(): void {
    this.state = { kind: 'following' };
    this.options.onStoppedLeading?.();
  }

  private observe(holder: string): void {
    if (holder !== '' && holder !== this.currentLeader) {
      this.currentLeader = holder;
      this.options.onNewLeader?.(holder);
    }
  }

  private ourSpec(previous: V1LeaseSpec | undefined): V1LeaseSpec {
    const now = this.wall();
    const ours = previous?.holderIdentity === this.options.identity;
    return {
      holderIdentity: this.options.identity,
      leaseDurationSeconds: this.leaseDurationSeconds,
      acquireTime: ours && previous?.acquireTime !== undefined ? microTime(new Date(previous.acquireTime).getTime()) : microTime(now),
      renewTime: microTime(now),
      // As client-go: a change of holder (from anyone, or from a released Lease) is a transition.
      leaseTransitions: previous === undefined ? 0 : ours ? previous.leaseTransitions ?? 0 : (previous.leaseTransitions ?? 0) + 1,
    };
  }

  private async tryAcquireOrRenew(): Promise<Attempt> {
    const { name, namespace } = this.options;
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (!isNotFound(err)) return this.failed(err);
      try {
        const created = await this.api.createNamespacedLease({ namespace, body: { metadata: { name, namespace }, spec: this.ourSpec(undefined) } });
        this.noteRecord(created.spec);
        this.observe(this.options.identity);
        return 'acquired';
      } catch (createErr) {
        return isConflict(createErr) ? 'held-by-other' : this.failed(createErr);
      }
    }

    this.noteRecord(lease.spec);
    const holder = lease.spec?.holderIdentity ?? '';
    this.observe(holder);
    const durationMs = (lease.spec?.leaseDurationSeconds ?? this.leaseDurationSeconds) * 1000;
    if (holder !== '' && holder !== this.options.identity && this.observedAt + durationMs > this.mono()) return 'held-by-other';

    try {
      const updated = await this.api.replaceNamespacedLease({ name, namespace, body: { ...lease, spec: this.ourSpec(lease.spec) } });
      this.noteRecord(updated.spec);
      this.observe(this.options.identity);
      return 'acquired';
    } catch (err) {
      if (isConflict(err)) return 'conflict';
      return this.failed(err);
    }
  }

  /** Remembers when the Lease record last changed, by our own clock. */
  private noteRecord(spec: V1LeaseSpec | undefined): void {
    const fingerprint = recordFingerprint(spec);
    if (fingerprint !== this.observedFingerprint) {
      this.observedFingerprint = fingerprint;
      this.observedAt = this.mono();
    }
  }

  private failed(err: unknown): Attempt {
    this.options.onError?.(err);
    return 'failed';
  }

  /** Empties the holder so a successor can take the Lease at once (client-go ReleaseOnCancel). */
  private async release(): Promise<void> {
    const { name, namespace } = this.options;
    try {
      const lease = await this.api.readNamespacedLease({ name, namespace });
      if (lease.spec?.holderIdentity !== this.options.identity) return;
      const now = microTime(this.wall());
      await this.api.replaceNamespacedLease({
        name,
        namespace,
        body: { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now, acquireTime: now } },
      });
    } catch (err) {
      this.options.onError?.(err);
    }
  }
}
