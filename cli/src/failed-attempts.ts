/** How many wrong secrets one address may present before it has to wait. */
const DEFAULT_BURST = 10;
/** How fast that allowance comes back: one more attempt every this many milliseconds. */
const DEFAULT_REFILL_MS = 6_000;
/** Addresses remembered at once; the oldest are forgotten first, so a flood of addresses cannot grow memory. */
const MAX_ADDRESSES = 10_000;

type Allowance = { attempts: number; updatedAt: number };

/**
 * Counts wrong secrets (tokens, logins) per client address, so that guessing a secret takes
 * years instead of seconds: each address may fail `burst` times, then once per `refillMs`.
 * Only failures count, but while an address has to wait, every attempt from it is refused
 * unchecked, the right secret included: otherwise the waiting would not slow guessing.
 */
export class FailedAttempts {
	private readonly addresses = new Map<string, Allowance>();

	constructor(
		private readonly burst = DEFAULT_BURST,
		private readonly refillMs = DEFAULT_REFILL_MS,
	) {}

	/** Milliseconds `address` must wait before its next attempt counts; 0 when it may try now. */
	waitFor(address: string, now = Date.now()): number {
		const allowance = this.current(address, now);
		return allowance === undefined || allowance.attempts >= 1 ? 0 : Math.ceil((1 - allowance.attempts) * this.refillMs);
	}

	/** Records a wrong secret from `address`. */
	failed(address: string, now = Date.now()): void {
		const allowance = this.current(address, now) ?? { attempts: this.burst, updatedAt: now };
		allowance.attempts = Math.max(0, allowance.attempts - 1);
		// Re-inserted, so the map's order is least recently failed first.
		this.addresses.delete(address);
		this.addresses.set(address, allowance);
		if (this.addresses.size > MAX_ADDRESSES) this.addresses.delete(this.addresses.keys().next().value!);
	}

	private current(address: string, now: number): Allowance | undefined {
		const allowance = this.addresses.get(address);
		if (allowance === undefined) return undefined;
		allowance.attempts = Math.min(this.burst, allowance.attempts + (now - allowance.updatedAt) / this.refillMs);
		allowance.updatedAt = now;
		if (allowance.attempts >= this.burst) {
			this.addresses.delete(address);
			return undefined;
		}
		return allowance;
	}
}
