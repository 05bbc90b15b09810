/**
 * When this node's event listeners are known to the event log. Moleculer announces a node's
 * services about a second after they start (it debounces the INFO packet), while the HTTP
 * server already answers. Until the nodes that record events list this node's `io`, they do not
 * broadcast to it, and a socket admitted in that window would miss events with no trace.
 */
import type { ServiceBroker } from "moleculer";
import { ApiError } from "../../models/errors";

const POLL_MS = 200;

interface ServiceItem {
	name: string;
	nodeID?: string;
}

/** True once every other node running `events` lists this node's `io` service. */
async function knownToEventLog(broker: ServiceBroker): Promise<boolean> {
	const logNodes = (
		broker.registry.getServiceList({ onlyAvailable: true, grouping: false }) as ServiceItem[]
	)
		.filter((s) => s.name === "events" && s.nodeID !== broker.nodeID)
		.map((s) => s.nodeID as string);
	// A node of the event log that starts later learns of this one while it connects.
	for (const nodeID of logNodes) {
		const services = await broker.call<ServiceItem[], object>(
			"$node.services",
			{ skipInternal: true, onlyAvailable: true, grouping: false },
			{ nodeID },
		);
		if (!services.some((s) => s.name === "io" && s.nodeID === broker.nodeID)) return false;
	}

	return true;
}

/**
 * Resolves once the event log knows this node; polls until then, or until `stopped()` says so.
 * Without a transporter every listener is local and it resolves at once.
 */
export async function untilAnnounced(broker: ServiceBroker, stopped: () => boolean): Promise<void> {
	if (!broker.transit) return;
	while (!stopped()) {
		const known = await knownToEventLog(broker).catch(() => false);
		if (known) return;
		await new Promise((resolve) => setTimeout(resolve, POLL_MS));
	}
}

/** `announced`, or SERVICE_UNAVAILABLE when it takes longer than `timeoutMs`. */
export function withinAnnouncement(announced: Promise<void>, timeoutMs: number): Promise<void> {
	let timer: NodeJS.Timeout | undefined;
	const late = new Promise<never>((_, reject) => {
		timer = setTimeout(
			() =>
				reject(
					new ApiError("SERVICE_UNAVAILABLE", "The socket service is starting; retry"),
				),
			timeoutMs,
		);
	});

	return Promise.race([announced, late]).finally(() => clearTimeout(timer));
}
