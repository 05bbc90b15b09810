/**
 * The resume algorithm on its own: the event log is an in-memory list, and live events arrive
 * while pages of the replay are being read, the races an integration run rarely hits.
 */
import type { DomainEvent } from "../../mixins/events.mixin";
import { REPLAY_PAGE, Resume } from "../../services/io/resume";

let counter = 0;

function event(): DomainEvent {
	counter += 1;

	return {
		id: `evt_${counter.toString(36).padStart(13, "0")}abcdef`,
		type: "customer.created",
		organization_id: "org",
		created_at: new Date().toISOString(),
		request_id: null,
		actor: { type: "system", id: "system" },
		data: { object: { id: `c${counter}` } },
	};
}

/** The log as `events.replay` reads it: ids after `afterId`, oldest first, a page at a time. */
function pageOf(log: DomainEvent[], afterId: string): DomainEvent[] {
	return log.filter((e) => e.id > afterId).slice(0, REPLAY_PAGE);
}

/** Runs `resume` against `fetchPage` and returns the ids it emitted, in order. */
async function emittedBy(
	resume: Resume,
	fetchPage: (afterId: string) => Promise<DomainEvent[]>,
): Promise<string[]> {
	const emitted: string[] = [];
	await resume.run(
		fetchPage,
		(e) => emitted.push(e.id),
		() => true,
	);

	return emitted;
}

test("events recorded while the replay is read arrive once, after the missed ones, in order", async () => {
	const log = Array.from({ length: 2500 }, event);
	const lastSeen = log[99].id;
	const resume = new Resume(lastSeen);

	const emitted = await emittedBy(resume, async (afterId) => {
		// Recorded before this page is read, broadcast after buffering began: in both.
		const live = [event(), event()];
		log.push(...live);
		live.forEach((e) => resume.offer(e));
		const page = pageOf(log, afterId);
		// Recorded after this page was read: only in the buffer (or a later page).
		const later = event();
		log.push(later);
		resume.offer(later);

		return page;
	});

	expect(emitted).toEqual(log.slice(100).map((e) => e.id));
});

test("a live event at or before the client's last event is not sent again", async () => {
	const log = Array.from({ length: 10 }, event);
	const resume = new Resume(log[5].id);

	const emitted = await emittedBy(resume, async (afterId) => {
		resume.offer(log[4]);

		return pageOf(log, afterId);
	});

	expect(emitted).toEqual(log.slice(6).map((e) => e.id));
});

test("live events before the replay starts are left to the replay, not buffered", async () => {
	const log = Array.from({ length: 5 }, event);
	const resume = new Resume(log[0].id);
	resume.offer(log[3]);

	const emitted = await emittedBy(resume, async (afterId) => pageOf(log, afterId));

	expect(emitted).toEqual(log.slice(1).map((e) => e.id));
});

test("a replay that falls too far behind the live stream fails instead of losing events", async () => {
	const resume = new Resume(event().id);

	const run = resume.run(
		async () => {
			for (let i = 0; i < 10_001; i++) resume.offer(event());

			return [];
		},
		() => undefined,
		() => true,
	);

	await expect(run).rejects.toThrow("fell too far behind");
});
