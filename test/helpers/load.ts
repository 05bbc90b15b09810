/**
 * A load driver for fault tests, and the checker that reads the outcome back.
 *
 * Each logical write is a customer with its own `external_id` (unique per organization, so the
 * store itself tells whether it landed twice) and its own `Idempotency-Key`. An attempt that
 * fails (connection lost, 5xx, timeout) is retried with the same key on the next gateway. A
 * 409 on a retry means an earlier attempt may have landed: the write is then looked up by
 * `external_id`, and counts as acknowledged if it is there.
 */
import crypto from "node:crypto";
import type { Owner } from "./gateway";

export interface Attempt {
	gateway: number;
	/** HTTP status, or `network` (connection refused or reset) or `hung` (no answer in time). */
	outcome: number | "network" | "hung";
	ms: number;
	at: number;
}

export interface LogicalWrite {
	externalId: string;
	idempotencyKey: string;
	attempts: Attempt[];
	/** `created`: a 201 said so; `found`: an earlier attempt landed, found after a 409. */
	acknowledged?: { id: string; how: "created" | "found" };
	/** A 4xx no retry can fix (a bug in the system under test). */
	refused?: { status: number; body: unknown };
}

export interface LoadOptions {
	gateways: string[];
	owner: Owner;
	writes: number;
	concurrency: number;
	/** An attempt with no answer after this long counts as hung (and is retried). */
	hungAfterMs: number;
	/** Give up on a write that is not acknowledged after this long. */
	deadlineMs: number;
	retryDelayMs?: number;
}

// `any` on purpose: response bodies are read field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class LoadDriver {
	readonly writes: LogicalWrite[];
	private next = 0;
	private readonly run = crypto.randomBytes(4).toString("hex");

	constructor(private readonly options: LoadOptions) {
		this.writes = Array.from({ length: options.writes }, (_, i) => ({
			externalId: `load-${this.run}-${i}`,
			idempotencyKey: `idem-${this.run}-${i}`,
			attempts: [],
		}));
	}

	acknowledged(): number {
		return this.writes.filter((w) => w.acknowledged).length;
	}

	attempts(): Attempt[] {
		return this.writes.flatMap((w) => w.attempts);
	}

	async start(): Promise<void> {
		await Promise.all(Array.from({ length: this.options.concurrency }, () => this.worker()));
	}

	private async worker(): Promise<void> {
		while (this.next < this.writes.length) {
			const index = this.next++;
			await this.complete(this.writes[index], index % this.options.gateways.length);
		}
	}

	private get base(): string {
		return `/v1/organizations/${this.options.owner.organization_id}/customers`;
	}

	private async complete(write: LogicalWrite, firstGateway: number): Promise<void> {
		const deadline = Date.now() + this.options.deadlineMs;
		let gateway = firstGateway;
		while (!write.acknowledged && !write.refused && Date.now() < deadline) {
			const { status, body } = await this.attempt(write, gateway);
			if (status === 201) {
				write.acknowledged = { id: body.data.id, how: "created" };
			} else if (status === 409) {
				const id = await this.lookup(write.externalId, gateway);
				if (id) write.acknowledged = { id, how: "found" };
			} else if (typeof status === "number" && status >= 400 && status < 500) {
				write.refused = { status, body };
			}
			if (write.acknowledged || write.refused) return;
			gateway = (gateway + 1) % this.options.gateways.length;
			await sleep(this.options.retryDelayMs ?? 200);
		}
	}

	private async attempt(
		write: LogicalWrite,
		gateway: number,
	): Promise<{ status: Attempt["outcome"]; body?: Json }> {
		const started = Date.now();
		let status: Attempt["outcome"];
		let body: Json;
		try {
			const res = await fetch(this.options.gateways[gateway] + this.base, {
				method: "POST",
				headers: {
					authorization: `Bearer ${this.options.owner.api_key}`,
					"content-type": "application/json",
					"idempotency-key": write.idempotencyKey,
				},
				body: JSON.stringify({
					name: `Load ${write.externalId}`,
					segment: "smb",
					external_id: write.externalId,
				}),
				signal: AbortSignal.timeout(this.options.hungAfterMs),
			});
			status = res.status;
			body = await res.json().catch(() => undefined);
		} catch (err) {
			status = (err as Error).name === "TimeoutError" ? "hung" : "network";
		}
		write.attempts.push({ gateway, outcome: status, ms: Date.now() - started, at: started });

		return { status, body };
	}

	/** The id stored under `externalId`, or undefined (also when the lookup itself fails). */
	private async lookup(externalId: string, gateway: number): Promise<string | undefined> {
		try {
			const res = await fetch(
				`${this.options.gateways[gateway]}${this.base}?external_id=${externalId}`,
				{
					headers: { authorization: `Bearer ${this.options.owner.api_key}` },
					signal: AbortSignal.timeout(this.options.hungAfterMs),
				},
			);
			const body: Json = await res.json();

			return res.status === 200 ? body.data[0]?.id : undefined;
		} catch {
			return undefined;
		}
	}
}

/** How long the checker retries a 503 (a breaker still half-open after a node came back). */
const LIST_RETRY_MS = 15_000;

/** One page, retried as any client retries a 503 (it is retryable), within LIST_RETRY_MS. */
async function fetchPage(url: string, owner: Owner): Promise<Response> {
	const deadline = Date.now() + LIST_RETRY_MS;
	for (;;) {
		const res = await fetch(url, { headers: { authorization: `Bearer ${owner.api_key}` } });
		if (res.status !== 503 || Date.now() > deadline) return res;
		await res.arrayBuffer();
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}

/** Every row of a paginated list, through `gateway`. */
async function listAll(gateway: string, owner: Owner, path: string): Promise<Json[]> {
	const rows: Json[] = [];
	for (let page = 1; ; page++) {
		const sep = path.includes("?") ? "&" : "?";
		const res = await fetchPage(`${gateway}${path}${sep}limit=100&page=${page}`, owner);
		const body: Json = await res.json();
		if (res.status !== 200) throw new Error(`listing ${path}: ${res.status}`);
		rows.push(...body.data);
		if (!body.pagination.has_next) return rows;
	}
}

export interface CheckResult {
	/** External ids of acknowledged writes not stored exactly once, with their counts. */
	notExactlyOnce: Array<{ externalId: string; stored: number }>;
	/** Stored customers of this load that no write acknowledged (a retry the driver gave up on). */
	unacknowledgedStored: string[];
	/** Acknowledged (201) writes whose `customer.created` event is not in the event log. */
	missingEvents: string[];
	/**
	 * With `delivered`: acknowledged writes whose `customer.created` event no webhook receiver
	 * answered 2xx (by `webhook-id`, the event id).
	 */
	undelivered?: string[];
}

/**
 * Reads the organization back and compares it with what the driver was told; with `delivered`
 * (the webhook-ids a receiver answered 2xx), also that each acknowledged write's event arrived.
 */
export async function check(
	gateway: string,
	owner: Owner,
	driver: LoadDriver,
	delivered?: Set<string>,
): Promise<CheckResult> {
	const base = `/v1/organizations/${owner.organization_id}`;
	const customers = await listAll(gateway, owner, `${base}/customers`);
	const events = await listAll(gateway, owner, `${base}/events?type=customer.created`);
	const stored = new Map<string, number>();
	for (const c of customers) stored.set(c.external_id, (stored.get(c.external_id) ?? 0) + 1);
	const evented = new Set(events.map((e) => e.data.object.id));
	const eventOf = new Map<string, string>(events.map((e) => [e.data.object.id, e.id]));
	const acked = driver.writes.filter((w) => w.acknowledged);
	const undelivered = delivered
		? acked
				.filter((w) => !delivered.has(eventOf.get(w.acknowledged?.id as string) ?? ""))
				.map((w) => w.externalId)
		: undefined;

	return {
		notExactlyOnce: acked
			.map((w) => ({ externalId: w.externalId, stored: stored.get(w.externalId) ?? 0 }))
			.filter((x) => x.stored !== 1),
		unacknowledgedStored: driver.writes
			.filter((w) => !w.acknowledged && stored.has(w.externalId))
			.map((w) => w.externalId),
		missingEvents: acked
			.filter((w) => w.acknowledged?.how === "created" && !evented.has(w.acknowledged.id))
			.map((w) => w.externalId),
		...(undelivered ? { undelivered } : {}),
	};
}
