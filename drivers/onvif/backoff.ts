/** Resubscribe/reconnect backoff settings (ms). */
export interface BackoffPolicy {
  /** Never retry sooner than this: cameras lock accounts and drop sessions under retry storms. */
  floorMs: number;
  capMs: number;
  /** 0..1: each delay is stretched by up to this fraction, at random, so 89 cameras do not retry in step. */
  jitter: number;
}

export const SUBSCRIPTION_BACKOFF: BackoffPolicy = { floorMs: 5_000, capMs: 300_000, jitter: 0.3 };
/** Auth failures wait much longer: a wrong password retried often locks the account (many firmwares lock after 5-10 tries). */
export const AUTH_BACKOFF: BackoffPolicy = { floorMs: 60_000, capMs: 1_800_000, jitter: 0.3 };

/**
 * Probing an unreachable device (GetSystemDateAndTime, PRE_AUTH: no account can lock): a refused
 * or unanswered connection costs the device nothing, so we look often enough to notice its return
 * within seconds (issue 11: 24 s was seen), capped at 5 s; restarts from the floor at each outage.
 */
export const REACHABILITY_BACKOFF: BackoffPolicy = { floorMs: 500, capMs: 5_000, jitter: 0.3 };

/** The delay before attempt `failures` (1-based): floor·2^(n−1), capped, plus jitter; never below the floor. */
export function backoffDelay(policy: BackoffPolicy, failures: number, random: () => number = Math.random): number {
  const base = Math.min(policy.capMs, policy.floorMs * 2 ** Math.max(0, Math.min(30, failures - 1)));
  return Math.max(policy.floorMs, Math.round(base * (1 + policy.jitter * random())));
}

/** Resolves after `ms`, or at once when `signal` aborts (without rejecting). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
