/**
 * socket.io clients for tests, over real sockets against real gateway processes. Automatic
 * reconnection is off unless a test asks for it, so every reconnect is one the test made.
 */
import { io, type ManagerOptions, type Socket, type SocketOptions } from "socket.io-client";
import type { Client } from "./gateway";

export type { Socket };

// `any` on purpose: events are checked field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Envelope = Record<string, any> & { id: string; type: string; organization_id: string };

export interface SocketError {
	code: string;
	message: string;
	details?: { field: string; message: string; value?: unknown }[];
}

export function socketTo(
	url: string,
	auth: Record<string, unknown> | ((cb: (data: object) => void) => void),
	options: Partial<ManagerOptions & SocketOptions> = {},
): Socket {
	return io(url, {
		transports: ["websocket"],
		reconnection: false,
		forceNew: true,
		auth,
		...options,
	});
}

/** Resolves once connected; rejects with the server's `{code, message}` when refused. */
export function connected(socket: Socket, timeoutMs = 10_000): Promise<Socket> {
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error("connect timed out")), timeoutMs);
		socket.once("connect", () => {
			clearTimeout(timer);
			resolve(socket);
		});
		socket.once("connect_error", (err: Error & { data?: SocketError }) => {
			clearTimeout(timer);
			reject(err.data ?? err);
		});
	});
}

/**
 * Connects with `auth` and returns the refusal the server gave (fails if it admitted the socket).
 */
export async function refusal(url: string, auth: Record<string, unknown>): Promise<SocketError> {
	const socket = socketTo(url, auth);
	try {
		await connected(socket);
	} catch (err) {
		return err as SocketError;
	} finally {
		socket.close();
	}
	throw new Error("the handshake was admitted");
}

/** Emits with an acknowledgement `(error, result)`: resolves the result, rejects the error. */
export function request<T = unknown>(
	socket: Socket,
	event: string,
	...args: unknown[]
): Promise<T> {
	return new Promise((resolve, reject) => {
		socket
			.timeout(10_000)
			.emit(event, ...args, (timeout: Error | null, err: unknown, res: T) => {
				if (timeout) reject(timeout);
				else if (err) reject(err);
				else resolve(res);
			});
	});
}

/** Every event a socket receives, in order, with a way to wait for more. */
export class Inbox {
	readonly events: Envelope[] = [];
	readonly notices: SocketError[] = [];

	constructor(socket: Socket) {
		this.attach(socket);
	}

	attach(socket: Socket): void {
		socket.onAny((name: string, payload: Envelope) => {
			if (name === "error") this.notices.push(payload as unknown as SocketError);
			else this.events.push(payload);
		});
	}

	ids(): string[] {
		return this.events.map((e) => e.id);
	}

	async waitFor(check: (events: Envelope[]) => boolean, timeoutMs = 15_000): Promise<void> {
		const deadline = Date.now() + timeoutMs;
		while (!check(this.events)) {
			if (Date.now() > deadline)
				throw new Error(`timed out with ${this.events.length} events received`);
			await sleep(50);
		}
	}
}

export function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves when the socket is disconnected, with the reason socket.io gives. */
export function disconnected(socket: Socket, timeoutMs = 10_000): Promise<string> {
	if (socket.disconnected) return Promise.resolve("already disconnected");

	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error("still connected")), timeoutMs);
		socket.once("disconnect", (reason) => {
			clearTimeout(timer);
			resolve(reason);
		});
	});
}

/** A new API key of the owner's organization; `body` as `POST /v1/auth/api-keys` takes it. */
export async function createKey(
	api: Client,
	body: Record<string, unknown> = {},
): Promise<{ id: string; key: string }> {
	const res = await api.post("/v1/auth/api-keys", { name: "socket test", ...body });
	if (res.status !== 201) throw new Error(`key not created: ${JSON.stringify(res.body)}`);

	return { id: res.body.data.id, key: res.body.data.key };
}

/** The organization's event log from `since` on, oldest first (every page). */
export async function eventLog(api: Client, orgId: string, since: string): Promise<Envelope[]> {
	const events: Envelope[] = [];
	for (let page = 1; ; page++) {
		const res = await api.get(
			`/v1/organizations/${orgId}/events?sort=created_at:asc&limit=100&page=${page}` +
				`&created_after=${encodeURIComponent(since)}`,
		);
		if (res.status !== 200) throw new Error(`event log: ${JSON.stringify(res.body)}`);
		events.push(...res.body.data);
		if (!res.body.pagination.has_next) return events;
	}
}
