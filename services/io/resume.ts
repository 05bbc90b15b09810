/**
 * Resume after a reconnect: the events a client missed come from the event log, oldest first,
 * and only then live ones, with none missing and none twice.
 *
 * Why nothing is lost: the log stores an event before it broadcasts it. Live events are buffered
 * from the moment the replay starts, so an event is either stored before a page of the replay is
 * read (and is in that page), or broadcast after buffering began (and is in the buffer), or
 * both; the buffer is flushed after the replay without the ids the replay already delivered.
 */
import type { ServiceBroker } from "moleculer";
import type { Socket } from "socket.io";
import type { DomainEvent } from "../../mixins/events.mixin";
import { newRequestId } from "./protocol";
import type { SocketState } from "./sockets";

/** Rows per `events.replay` call (its own maximum). */
export const REPLAY_PAGE = 1000;

/** Live events held while a replay runs; a replay that falls this far behind is abandoned. */
const BUFFER_MAX = 10_000;

/**
 * Replayed ids worth remembering for the dedupe: only events recorded shortly before the
 * replay began can also reach the buffer. The margin covers clock skew between nodes.
 */
const DEDUPE_WINDOW_MS = 5 * 60_000;

export type ResumePhase = "pending" | "replaying";

export class ResumeFellBehind extends Error {
	constructor() {
		super("The resume fell too far behind the live stream");
		this.name = "ResumeFellBehind";
	}
}

export class Resume {
	/** `pending` until the client's first `subscribe`: the replay needs to know what it wants. */
	phase: ResumePhase = "pending";
	private buffer: DomainEvent[] = [];
	private overflowed = false;
	/** The newest id this resume delivered (replayed or flushed from the buffer). */
	lastDelivered: string;

	constructor(readonly afterId: string) {
		this.lastDelivered = afterId;
	}

	/** A live event for a resuming socket: buffered while replaying; before that the log has it. */
	offer(event: DomainEvent): void {
		if (this.phase !== "replaying" || this.overflowed) return;
		if (this.buffer.length >= BUFFER_MAX) {
			this.overflowed = true;
			this.buffer = [];

			return;
		}
		this.buffer.push(event);
	}

	/**
	 * Emits the missed events page by page from `fetchPage`, then the buffered live ones not
	 * already emitted. Throws `ResumeFellBehind` when the buffer overflowed.
	 */
	async run(
		fetchPage: (afterId: string) => Promise<DomainEvent[]>,
		emit: (event: DomainEvent) => void,
		isOpen: () => boolean,
	): Promise<void> {
		this.phase = "replaying";
		const since = Date.now() - DEDUPE_WINDOW_MS;
		const replayed = new Set<string>();
		let after = this.afterId;

		for (;;) {
			const page = await fetchPage(after);
			if (this.overflowed) throw new ResumeFellBehind();
			if (!isOpen()) return;
			for (const event of page) {
				if (Date.parse(event.created_at) >= since) replayed.add(event.id);
				emit(event);
				after = event.id;
				if (event.id > this.lastDelivered) this.lastDelivered = event.id;
			}
			if (page.length < REPLAY_PAGE) break;
		}

		// Ids sort in recording order: a live event at or before the client's last one is one it
		// has. Each id goes out once, even if the live stream handed the same event over twice.
		for (const event of this.buffer) {
			if (event.id <= this.afterId || replayed.has(event.id)) continue;
			replayed.add(event.id);
			emit(event);
			if (event.id > this.lastDelivered) this.lastDelivered = event.id;
		}
		this.buffer = [];
	}
}

/**
 * Runs the socket's resume: the missed events its subscriptions select, read from the event log
 * as the socket's caller, then the buffered live ones; afterwards live events flow to it
 * directly. Rejects when the replay cannot finish.
 */
export async function replayTo(
	socket: Socket,
	state: SocketState,
	broker: ServiceBroker,
): Promise<void> {
	if (!state.resume) return;
	const fetchPage = (afterId: string): Promise<DomainEvent[]> =>
		broker.call(
			"events.replay",
			{ after_id: afterId, limit: REPLAY_PAGE },
			{ meta: { auth: state.auth, requestId: newRequestId() } },
		);
	const emit = (event: DomainEvent): void => {
		if (state.subscriptions.matches(event)) socket.emit(event.type, event);
	};
	await state.resume.run(fetchPage, emit, () => socket.connected);
	state.replayedUpTo = state.resume.lastDelivered;
	state.resume = undefined;
}
