/**
 * The settled-later result of a write, awaitable without being a promise until
 * someone awaits it. A write nobody awaits therefore never becomes an unhandled
 * rejection; its failure is reported through the caller's error channel instead.
 */
export class WriteOutcome implements Promise<void> {
	// On the prototype, so that a write costs no extra field.
	get [Symbol.toStringTag](): string {
		return 'WriteOutcome';
	}

	#state: 'pending' | 'resolved' | 'rejected' = 'pending';
	#error: unknown;
	#promise: Promise<void> | undefined;
	#resolvePromise: (() => void) | undefined;
	#rejectPromise: ((error: unknown) => void) | undefined;

	/** True once somebody called `then`, `catch` or `finally`. */
	get observed(): boolean {
		return this.#promise !== undefined;
	}

	get settled(): boolean {
		return this.#state !== 'pending';
	}

	resolve(): void {
		if (this.#state !== 'pending') return;
		this.#state = 'resolved';
		this.#resolvePromise?.();
	}

	/** Rejects; returns whether anybody was listening (if not, report the error elsewhere). */
	reject(error: unknown): boolean {
		if (this.#state !== 'pending') return true;
		this.#state = 'rejected';
		this.#error = error;
		this.#rejectPromise?.(error);
		return this.observed;
	}

	toPromise(): Promise<void> {
		if (this.#promise === undefined) {
			if (this.#state === 'resolved') this.#promise = Promise.resolve();
			else if (this.#state === 'rejected') this.#promise = Promise.reject(this.#error);
			else
				this.#promise = new Promise<void>((resolve, reject) => {
					this.#resolvePromise = resolve;
					this.#rejectPromise = reject;
				});
		}
		return this.#promise;
	}

	then<A = void, B = never>(onFulfilled?: ((value: void) => A | PromiseLike<A>) | null, onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
		return this.toPromise().then(onFulfilled, onRejected);
	}

	catch<B = never>(onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<void | B> {
		return this.toPromise().catch(onRejected);
	}

	finally(onFinally?: (() => void) | null): Promise<void> {
		return this.toPromise().finally(onFinally);
	}
}
