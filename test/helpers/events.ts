/** The event log as tests read it: one object's events, oldest first, with previous values. */
import type { Client } from "./gateway";

export type EventSummary = [type: string, previous: Record<string, unknown> | null];

export async function eventsOf(
	api: Client,
	base: string,
	objectId: string,
	types?: string[],
): Promise<EventSummary[]> {
	const filter = types ? `type_in=${types.join(",")}&` : "";
	const res = await api.get(`${base}/events?${filter}sort=created_at:desc,id:desc&limit=100`);

	return res.body.data
		.filter((e: { data: { object: { id: string } } }) => e.data.object.id === objectId)
		.map((e: { type: string; data: { previous_attributes?: Record<string, unknown> } }) => [
			e.type,
			e.data.previous_attributes ?? null,
		])
		.reverse();
}
