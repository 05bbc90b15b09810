/**
 * The open graphql-ws sockets of this node and the caller each was opened with, so a
 * credential that stops working also stops its live subscriptions, as socket.io does: a revoked
 * API key or a signed-out session closes its sockets at once (from their events), and every
 * credential is checked again now and then (expiry, a removed member).
 */
import type { WebSocket } from "ws";
import type { Auth } from "../../models/context";
import { type ApiError, toApiError, unauthorized } from "../../models/errors";

/** What graphql-ws clients take as "unauthorized": they do not reconnect by themselves. */
export const UNAUTHORIZED_CLOSE = 4401;
/** How often open sockets' credentials are checked again (as socket.io's are). */
export const RECHECK_INTERVAL_MS = 60_000;
const MAX_REASON_BYTES = 100;

interface OpenSocket {
	credential: string;
	auth: Auth;
}

/** A close reason may hold at most 123 bytes. */
export function closeReason(message: string): string {
	return Buffer.from(message).subarray(0, MAX_REASON_BYTES).toString();
}

/** The credential an event ends: `[field of Auth, id]`, or none. */
function endedBy(type: string, data: unknown): [keyof Auth, unknown] | undefined {
	const id = (data as { object?: { id?: unknown } } | undefined)?.object?.id;
	if (id === undefined) return undefined;
	if (type === "api_key.revoked") return ["api_key_id", id];
	if (type === "user.logout") return ["session_id", id];

	return undefined;
}

export class OpenSockets {
	private readonly open = new Map<WebSocket, OpenSocket>();

	add(socket: WebSocket, credential: string, auth: Auth): void {
		if (socket.readyState !== socket.OPEN) return;
		this.open.set(socket, { credential, auth });
		socket.once("close", () => this.open.delete(socket));
	}

	/** Closes the sockets whose credential `event` (a domain event) revoked or signed out. */
	onEvent(event: unknown): void {
		const { type, organization_id, data } = (event ?? {}) as Record<string, unknown>;
		const ended = typeof type === "string" ? endedBy(type, data) : undefined;
		if (!ended) return;
		const [field, id] = ended;
		const message =
			field === "api_key_id" ? "The API key was revoked" : "The session has ended";
		for (const [socket, { auth }] of this.open) {
			if (auth.organization_id === organization_id && auth[field] === id)
				this.expel(socket, unauthorized(message));
		}
	}

	/** Checks each open socket's credential once; a refused one loses its sockets. */
	async recheck(authenticate: (credential: string) => Promise<Auth>): Promise<void> {
		const byCredential = new Map<string, WebSocket[]>();
		for (const [socket, { credential }] of this.open)
			byCredential.set(credential, [...(byCredential.get(credential) ?? []), socket]);
		for (const [credential, sockets] of byCredential) {
			try {
				const auth = await authenticate(credential);
				for (const socket of sockets)
					if (this.open.has(socket)) this.open.set(socket, { credential, auth });
			} catch (err) {
				// An outage must not drop everyone: only a refused credential costs its sockets.
				const error = toApiError(err);
				if (error.type === "UNAUTHORIZED") sockets.forEach((s) => this.expel(s, error));
			}
		}
	}

	private expel(socket: WebSocket, error: ApiError): void {
		this.open.delete(socket);
		socket.close(UNAUTHORIZED_CLOSE, closeReason(error.message));
	}
}
