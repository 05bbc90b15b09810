/**
 * The `channel_backlog` gauge of the webhook workers. On Redis it is the consumer group's own
 * count, read with XINFO GROUPS: entries read and not acknowledged (`pending`, including those
 * of a worker that died until another claims them) plus entries not read yet (`lag`). Every
 * worker reports the same group-wide number, labelled with its node. In-process there is no
 * group to ask: a worker reports the messages it holds.
 */
import Redis from "ioredis";
import type { LoggerInstance, ServiceBroker } from "moleculer";
import { setChannelBacklog } from "../../mixins/metrics";

/** How often the group is asked: often enough for a dashboard, rare enough to cost nothing. */
const SAMPLE_MS = 5000;

export interface BacklogOptions {
	broker: ServiceBroker;
	logger: LoggerInstance;
	channel: string;
	group: string;
	/** The stream's key (`<NAMESPACE>.<channel>`), and its Redis; unset for in-process channels. */
	stream?: { key: string; url: string };
}

export class ChannelBacklog {
	private held = 0;
	private redis: Redis | undefined;
	private timer: NodeJS.Timeout | undefined;
	private warned = false;

	constructor(private readonly options: BacklogOptions) {}

	start(): void {
		const { stream } = this.options;
		if (!stream) return this.report(0);
		// A sample that cannot be taken is skipped, never queued up behind a reconnect.
		this.redis = new Redis(stream.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
		this.redis.on("error", () => undefined);
		this.timer = setInterval(() => void this.sample(stream.key), SAMPLE_MS);
		this.timer.unref();
	}

	/** In-process: one more message in hand (`+1`) or one fewer (`-1`). */
	track(change: 1 | -1): void {
		if (this.options.stream) return;
		this.held += change;
		this.report(this.held);
	}

	async stop(): Promise<void> {
		clearInterval(this.timer);
		await this.redis?.quit().catch(() => this.redis?.disconnect());
	}

	private async sample(key: string): Promise<void> {
		try {
			const groups = (await this.redis?.xinfo("GROUPS", key)) as unknown[][] | undefined;
			const fields = groups
				?.map((g) => fieldsOf(g))
				.find((g) => g.name === this.options.group);
			// No group yet (no message was ever sent): nothing is waiting.
			this.report(fields ? Number(fields.pending ?? 0) + Number(fields.lag ?? 0) : 0);
			this.warned = false;
		} catch (err) {
			if (/no such key/i.test((err as Error).message)) return this.report(0);
			if (!this.warned)
				this.options.logger.warn(`Channel backlog not sampled: ${(err as Error).message}`);
			this.warned = true;
		}
	}

	private report(messages: number): void {
		setChannelBacklog(this.options.broker, this.options.channel, this.options.group, messages);
	}
}

/** XINFO's flat `[name, value, name, value…]` reply as an object. */
function fieldsOf(reply: unknown[]): Record<string, unknown> {
	const fields: Record<string, unknown> = {};
	for (let i = 0; i + 1 < reply.length; i += 2) fields[String(reply[i])] = reply[i + 1];

	return fields;
}
