/**
 * The gateway's socket.io protocol: `auth: {token, last_event_id}` at the handshake,
 * `subscribe` with `{types, ids}` (acknowledged `(error, result)`), events under their type
 * names. A reconnect resumes from the last event received, so none is missed or seen twice.
 * socket.io-client is loaded only when used (an optional peer dependency).
 */
import { errorOf, type MantisError } from "./errors";
import type { MantisEvent } from "./types";

export interface SubscribeOptions<T = Record<string, unknown>> {
	/** Event names or wildcards: `order.*`, `invoice.paid`, `*`. */
	types: string[];
	/** Only events about these entities (`data.object.id`). */
	ids?: string[];
	onEvent: (event: MantisEvent<T>) => void;
	/** Refusals and notices from the server (a revoked key, a replay that failed). */
	onError?: (error: MantisError) => void;
	/** Resume after this event (its successors are replayed from the event log first). */
	lastEventId?: string;
}

export interface RealtimeSubscription {
	/** The id of the last event received: pass it as `lastEventId` to resume later. */
	readonly lastEventId: string | undefined;
	close(): void;
}

interface WireError {
	code?: string;
	message?: string;
	details?: { field: string; message: string; value?: unknown }[];
}

const toError = (err: WireError | undefined): MantisError =>
	errorOf({
		code: err?.code ?? "CONNECTION_ERROR",
		message: err?.message ?? "The socket failed",
		details: err?.details,
	});

export class RealtimeClient {
	constructor(
		private readonly baseUrl: string,
		private readonly token: string,
	) {}

	/** Connects and subscribes; resolves once the server acknowledged the subscription. */
	async subscribe<T = Record<string, unknown>>(
		options: SubscribeOptions<T>,
	): Promise<RealtimeSubscription> {
		const { io } = await import("socket.io-client");
		let lastEventId = options.lastEventId;
		const socket = io(this.baseUrl, {
			// Several gateway nodes behind a balancer need no sticky sessions over WebSocket.
			transports: ["websocket"],
			forceNew: true,
			// A function, so each reconnect names the last event received by then.
			auth: (cb) =>
				cb({ token: this.token, ...(lastEventId ? { last_event_id: lastEventId } : {}) }),
		});
		// Every event type contains a dot; the protocol's own messages (`error`) do not.
		socket.onAny((name: string, event: MantisEvent<T>) => {
			if (!name.includes(".")) return;
			lastEventId = event.id;
			options.onEvent(event);
		});
		socket.on("error", (err: WireError) => options.onError?.(toError(err)));
		const subscription: RealtimeSubscription = {
			get lastEventId() {
				return lastEventId;
			},
			close: () => void socket.close(),
		};

		return new Promise((resolve, reject) => {
			let settled = false;
			socket.on("connect_error", (err: Error & { data?: WireError }) => {
				const error = toError(err.data ?? { message: err.message });
				if (settled) return options.onError?.(error);
				settled = true;
				socket.close();
				reject(error);
			});
			// On every (re)connect: the server keeps no subscriptions across connections.
			socket.on("connect", () => {
				socket.emit(
					"subscribe",
					{ types: options.types, ids: options.ids },
					(err: WireError | null) => {
						if (err) options.onError?.(toError(err));
						if (settled) return;
						settled = true;
						if (err) {
							socket.close();
							reject(toError(err));
						} else resolve(subscription);
					},
				);
			});
		});
	}
}
