/**
 * The sockets of this node: what the service keeps about each, and who of them an event is for.
 */
import type { ServiceBroker } from "moleculer";
import type { Namespace, Socket } from "socket.io";
import type { DomainEvent } from "../../mixins/events.mixin";
import type { Auth } from "../../models/context";
import { unauthorized } from "../../models/errors";
import { hasScope } from "../../models/identity";
import { type ConnectionCounter, credentialKey } from "./limits";
import { authenticateOn, parseHandshake } from "./protocol";
import { Resume } from "./resume";
import { Subscriptions } from "./subscriptions";

/** What the service keeps about each admitted socket, in `socket.data`. */
export interface SocketState {
	auth: Auth;
	/** Kept only to check it again later; never logged. */
	credential: string;
	subscriptions: Subscriptions;
	/** Set from a handshake with `last_event_id` until the missed events are delivered. */
	resume?: Resume;
	/** Gives back the socket's slot of its credential's connection limit (once). */
	release(): void;
}

/**
 * The handshake: a valid credential within its connection limit, or no socket. Fails closed:
 * anything but an `Auth` with an organization refuses the socket.
 */
export async function admitSocket(
	socket: Socket,
	broker: ServiceBroker,
	connections: ConnectionCounter,
): Promise<void> {
	const handshake = parseHandshake(socket.handshake.auth, socket.handshake.headers);
	const auth = await authenticateOn(broker, handshake.credential);
	if (!auth?.organization_id || !handshake.credential) throw unauthorized();
	const release = connections.acquire(credentialKey(auth));
	// A socket closed between here and "connection" never fires "disconnect".
	socket.conn.once("close", release);
	const state: SocketState = {
		auth,
		credential: handshake.credential,
		subscriptions: new Subscriptions(),
		resume: handshake.lastEventId ? new Resume(handshake.lastEventId) : undefined,
		release,
	};
	socket.data = state;
}

export type Ack = (error: unknown, result?: unknown) => void;

export function stateOf(socket: Socket): SocketState {
	return socket.data;
}

/** The room of an organization's sockets; only the server puts a socket in one. */
export function orgRoom(organizationId: string): string {
	return `org:${organizationId}`;
}

/** socket.io handler arguments split into the payload and the acknowledgement, if any. */
export function argsOf(args: unknown[]): { payload: unknown; ack?: Ack } {
	const last = args[args.length - 1];
	if (typeof last !== "function") return { payload: args[0] };

	return { payload: args.length > 1 ? args[0] : undefined, ack: last as Ack };
}

/** A recorded event as the log broadcasts it; anything without an organization goes nowhere. */
export function isEnvelope(event: unknown, eventName: string | null): event is DomainEvent {
	const e = event as Partial<DomainEvent> | undefined;

	return (
		typeof e?.id === "string" &&
		e.type === eventName &&
		typeof e.organization_id === "string" &&
		e.organization_id.length > 0
	);
}

/** Receiving events is reading the event log, which REST guards with this scope. */
export const EVENTS_SCOPE = "events:read";

/** Packets waiting on a socket's transport beyond which it is cut off rather than buffered. */
const MAX_PENDING_PACKETS = 10_000;

/**
 * Packets queued for a socket's transport. engine.io keeps its write buffer private, but it is
 * the one measure of a reader that cannot keep up; read defensively in case it is renamed.
 */
function pendingPackets(socket: Socket): number {
	const conn = socket.conn as unknown as { writeBuffer?: unknown[] };

	return conn.writeBuffer?.length ?? 0;
}

export interface Delivery {
	/** Ids of the sockets to emit to. */
	targets: string[];
	/** Sockets too slow to keep up; they resume from the event log after a reconnect. */
	laggards: Socket[];
}

/**
 * This node's sockets that `event` is for: its organization's room only, filtered by their
 * subscriptions. A socket still resuming gets it through its replay instead.
 */
export function deliveryTargets(nsp: Namespace, event: DomainEvent): Delivery {
	const members = nsp.adapter.rooms.get(orgRoom(event.organization_id));
	const delivery: Delivery = { targets: [], laggards: [] };
	for (const id of members ?? []) {
		const socket = nsp.sockets.get(id);
		if (!socket) continue;
		const state = stateOf(socket);
		// Checked per event, not only at subscribe: a credential's scopes may shrink meanwhile.
		if (!hasScope(state.auth.scopes, EVENTS_SCOPE)) continue;
		if (state.resume) state.resume.offer(event);
		else if (!state.subscriptions.matches(event)) continue;
		else if (pendingPackets(socket) > MAX_PENDING_PACKETS) delivery.laggards.push(socket);
		else delivery.targets.push(id);
	}

	return delivery;
}

/** This node's sockets authenticated with API key `keyId` of `organizationId`. */
export function socketsOfKey(nsp: Namespace, organizationId: string, keyId: unknown): Socket[] {
	const members = nsp.adapter.rooms.get(orgRoom(organizationId));

	return [...(members ?? [])]
		.map((id) => nsp.sockets.get(id))
		.filter((s): s is Socket => s !== undefined && stateOf(s).auth.api_key_id === keyId);
}

/** This node's sockets grouped by the credential they hold, to check each credential once. */
export function socketsByCredential(nsp: Namespace): Map<string, Socket[]> {
	const groups = new Map<string, Socket[]>();
	for (const socket of nsp.sockets.values()) {
		const { credential } = stateOf(socket);
		const group = groups.get(credential);
		if (group) group.push(socket);
		else groups.set(credential, [socket]);
	}

	return groups;
}
