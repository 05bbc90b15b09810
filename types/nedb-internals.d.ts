/**
 * The two parts of @seald-io/nedb (pinned by moleculer-db 0.8.29) that the store reads past the
 * datastore's own API: a cursor without its copying map, and its document copy.
 */
declare module "@seald-io/nedb/lib/cursor" {
	/** A query's matching documents, as the datastore holds them (not copies); awaitable. */
	export default class Cursor<T = Record<string, unknown>> implements PromiseLike<T[]> {
		constructor(db: unknown, query: object);
		then<R1 = T[], R2 = never>(
			onfulfilled?: ((value: T[]) => R1 | PromiseLike<R1>) | null,
			onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
		): PromiseLike<R1 | R2>;
	}
}

declare module "@seald-io/nedb/lib/model" {
	export function deepCopy<T>(doc: T): T;
}
