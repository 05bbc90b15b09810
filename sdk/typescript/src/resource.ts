/**
 * One REST resource of the gateway: list, get, create, update, delete at a collection path,
 * and its workflow steps (`POST …/{id}/<step>`). Every resource is this one class with its
 * types; nothing is written per resource.
 */
import type { Http } from "./http";
import { ListRequest } from "./pagination";
import type { Deleted, ListParams } from "./types";

export interface GetOptions {
	include?: string[];
	fields?: string[];
}

export interface CreateOptions {
	/** Reused on every retry; default: a fresh UUID per call. */
	idempotencyKey?: string;
}

export interface UpdateOptions {
	/** Refuse the update (412) unless the resource is still at this version. */
	ifVersion?: number;
}

export class ResourceClient<T extends { id: string }, C = Partial<T>, U = Partial<C>> {
	constructor(
		protected readonly http: Http,
		/** The collection path (`/v1/organizations/<id>/customers`). */
		readonly path: string,
	) {}

	list(params: ListParams = {}): ListRequest<T> {
		return new ListRequest<T>(this.http, this.path, params);
	}

	async get(id: string, options: GetOptions = {}): Promise<T> {
		return (await this.http.request<T>("GET", this.itemPath(id), { query: { ...options } }))
			.data;
	}

	/** Sent with an `Idempotency-Key`, so a retried create makes one record. */
	async create(body: C, options: CreateOptions = {}): Promise<T> {
		const idempotencyKey = options.idempotencyKey ?? true;

		return (await this.http.request<T>("POST", this.path, { body, idempotencyKey })).data;
	}

	/** Merges the given fields (the gateway's PATCH). */
	async update(id: string, body: U, options: UpdateOptions = {}): Promise<T> {
		const headers: Record<string, string> =
			options.ifVersion === undefined ? {} : { "if-match": `"${id}.${options.ifVersion}"` };

		return (await this.http.request<T>("PATCH", this.itemPath(id), { body, headers })).data;
	}

	async delete(id: string): Promise<Deleted> {
		return (await this.http.request<Deleted>("DELETE", this.itemPath(id))).data;
	}

	/** A workflow step; repeated safely under one idempotency key. */
	async step(id: string, step: string, body: Record<string, unknown> = {}): Promise<T> {
		return (
			await this.http.request<T>("POST", `${this.itemPath(id)}/${step}`, {
				body,
				idempotencyKey: true,
			})
		).data;
	}

	protected itemPath(id: string): string {
		return `${this.path}/${encodeURIComponent(id)}`;
	}
}

/** `rotate-secret` → `rotateSecret` */
type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}`
	? `${Head}${Capitalize<CamelCase<Tail>>}`
	: S;

/** A method per workflow step: `orders.ship(id, {carrier})`, `webhooks.rotateSecret(id)`. */
export type Steps<T, S extends string> = {
	[K in S as CamelCase<K>]: (id: string, body?: Record<string, unknown>) => Promise<T>;
};

const camelCase = (step: string) => step.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());

/** A resource with its workflow steps as methods. */
export function withSteps<T extends { id: string }, C, U, S extends string>(
	resource: ResourceClient<T, C, U>,
	steps: readonly S[],
): ResourceClient<T, C, U> & Steps<T, S> {
	const methods = Object.fromEntries(
		steps.map((step) => [
			camelCase(step),
			(id: string, body?: Record<string, unknown>) => resource.step(id, step, body),
		]),
	) as Steps<T, S>;

	return Object.assign(resource, methods);
}
