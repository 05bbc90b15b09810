/**
 * The operator commands of `npm run repl`, on top of moleculer-repl's own (`call`, `nodes`,
 * `services`, `metrics`…). Each reaches the cluster through ordinary actions; a command whose
 * service no node runs says so plainly instead of failing.
 */
import type { GenericObject, ServiceBroker } from "moleculer";
import { config } from "../models/config";
import { systemAuth } from "../models/context";
import { METRIC_CHANNEL_BACKLOG } from "../mixins/metrics";
import { resetLimit as resetRateLimit } from "../services/api/rate-limit";

/**
 * Actions the commands call on services built elsewhere (webhook delivery).
 * Their params are the operator's: ids only, no REST envelope, no caller.
 */
export const OPERATOR_ACTIONS = {
	/** Dead deliveries, newest first: `{ organization_id?, limit }` → delivery rows. */
	deadDeliveries: "webhook-deliveries.listDead",
	/** Schedules a delivery again: `{ id }` → the delivery row. */
	redeliver: "webhook-deliveries.redeliverAny",
} as const;

/** Rows `orgs` counts per organization (`key` in `--json`), when some node runs the service. */
const USAGE: Array<{
	key: string;
	column: string;
	service: string;
	filter: Record<string, string>;
}> = [
	{ key: "customers", column: "customers", service: "customers", filter: {} },
	{ key: "orders", column: "orders", service: "orders", filter: {} },
	{
		key: "active_api_keys",
		column: "active keys",
		service: "api-keys",
		filter: { is_active: "true" },
	},
];

/** What moleculer-repl hands a command: its named arguments, and `options` for the flags. */
export interface ReplArgs {
	options: Record<string, unknown>;
	[argument: string]: unknown;
}

export interface ReplCommand {
	command: string;
	description: string;
	options?: Array<{ option: string; description: string }>;
	action(broker: ServiceBroker, args: ReplArgs): Promise<void>;
}

function print(line = ""): void {
	process.stdout.write(`${line}\n`);
}

/** Rows as aligned columns, the header first. */
function printTable(header: string[], rows: string[][]): void {
	const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
	const line = (cells: string[]) =>
		cells
			.map((c, i) => c.padEnd(widths[i]))
			.join("  ")
			.trimEnd();
	print(line(header));
	for (const row of rows) print(line(row));
}

function offered(broker: ServiceBroker, action: string): boolean {
	return broker.registry.actions.isAvailable(action);
}

function cell(value: unknown): string {
	return value === undefined || value === null ? "-" : String(value);
}

interface Organization {
	id: string;
	name: string;
	plan: string;
	created_at: string;
}

async function countRows(
	broker: ServiceBroker,
	service: string,
	organizationId: string,
	filter: Record<string, string>,
): Promise<number | null> {
	if (!offered(broker, `${service}.list`)) return null;
	const page: { pagination: { total: number } } = await broker.call(
		`${service}.list`,
		{ query: { ...filter, limit: "1" } },
		{ meta: { auth: systemAuth(organizationId) } },
	);

	return page.pagination.total;
}

async function orgs(broker: ServiceBroker, args: ReplArgs): Promise<void> {
	if (!offered(broker, "organizations.listAll"))
		return print("No node runs the organizations service: nothing to list.");

	const list: Organization[] = await broker.call("organizations.listAll");
	const usage = await Promise.all(
		list.map(async (org) => {
			const counts: Record<string, number | null> = {};
			for (const { key, service, filter } of USAGE)
				counts[key] = await countRows(broker, service, org.id, filter);

			return { id: org.id, name: org.name, plan: org.plan, usage: counts };
		}),
	);
	if (args.options.json) return print(JSON.stringify(usage));
	if (!usage.length) return print("No organizations yet.");

	printTable(
		["id", "name", "plan", ...USAGE.map((u) => u.column)],
		usage.map((o) => [o.id, o.name, o.plan, ...USAGE.map((u) => cell(o.usage[u.key]))]),
	);
}

async function revokeKey(broker: ServiceBroker, args: ReplArgs): Promise<void> {
	if (!offered(broker, "api-keys.revoke"))
		return print("No node runs the api-keys service: no key can be revoked now.");

	const result: { id: string; organization_id: string; revoked: boolean } | null =
		await broker.call("api-keys.revoke", { id: args.id });
	if (!result) return print(`No API key has the id ${String(args.id)}.`);

	print(
		result.revoked
			? `API key ${result.id} of organization ${result.organization_id} is revoked.`
			: `API key ${result.id} of organization ${result.organization_id} was already revoked.`,
	);
}

async function setPlan(broker: ServiceBroker, args: ReplArgs): Promise<void> {
	if (!offered(broker, "organizations.setPlan"))
		return print("No node runs the organizations service: no plan can be changed now.");

	const org: Organization | null = await broker.call("organizations.setPlan", {
		id: args.orgId,
		plan: args.plan,
	});
	if (!org) return print(`No organization has the id ${String(args.orgId)}.`);

	print(`Organization ${org.id} is on the ${org.plan} plan.`);
}

/**
 * Rate-limit counters live in Redis when REDIS_URL is set (shared by every node, so this
 * process reaches them too), else in the memory of each gateway process: the embedded REPL is
 * that process; a REPL joining a cluster without REDIS_URL is not.
 */
async function resetLimit(_broker: ServiceBroker, args: ReplArgs): Promise<void> {
	const settings = config();
	if (settings.transporter && !settings.redisUrl)
		return print(
			"Rate limits are counted in each gateway's memory (REDIS_URL is not set): this REPL " +
				"cannot reach them. Set REDIS_URL on every node to share and reset them.",
		);

	await resetRateLimit(`key:${String(args.keyId)}`);
	print(`The rate limit of API key ${String(args.keyId)} is reset.`);
}

/** Dead deliveries one `dead-deliveries` lists, newest first. */
const DEAD_SHOWN = 100;

async function deadDeliveries(broker: ServiceBroker, args: ReplArgs): Promise<void> {
	if (!offered(broker, OPERATOR_ACTIONS.deadDeliveries))
		return print("No webhook delivery service is running: there are no deliveries to list.");

	const rows: GenericObject[] = await broker.call(OPERATOR_ACTIONS.deadDeliveries, {
		...(args.org ? { organization_id: args.org } : {}),
		limit: DEAD_SHOWN,
	});
	if (!rows.length) return print("No dead deliveries.");
	if (rows.length === DEAD_SHOWN)
		print(`The newest ${DEAD_SHOWN} are shown; there may be more (name an organization).`);

	printTable(
		["id", "organization", "webhook", "event", "attempts", "last error"],
		rows.map((d) => [
			cell(d.id),
			cell(d.organization_id),
			cell(d.webhook_id),
			cell(d.event_type),
			cell(d.attempts),
			cell(d.last_error),
		]),
	);
}

async function redeliver(broker: ServiceBroker, args: ReplArgs): Promise<void> {
	if (!offered(broker, OPERATOR_ACTIONS.redeliver))
		return print("No webhook delivery service is running: nothing can be redelivered.");

	const delivery: GenericObject = await broker.call(OPERATOR_ACTIONS.redeliver, {
		id: args.deliveryId,
	});
	print(`Delivery ${cell(delivery.id)} is scheduled again (status ${cell(delivery.status)}).`);
}

interface MetricSample {
	name: string;
	values: Array<{ labels: Record<string, string>; value: number }>;
}

async function backlog(broker: ServiceBroker): Promise<void> {
	const nodes = await broker.call<Array<{ id: string }>, GenericObject>("$node.list", {
		onlyAvailable: true,
	});
	const rows: string[][] = [];
	for (const node of nodes) {
		const metrics = await broker
			.call<MetricSample[], GenericObject>(
				"$node.metrics",
				{ includes: [METRIC_CHANNEL_BACKLOG] },
				{ nodeID: node.id },
			)
			// A node that left meanwhile has no backlog to show.
			.catch((): MetricSample[] => []);
		for (const sample of metrics.flatMap((m) => m.values))
			rows.push([sample.labels.channel, sample.labels.group, node.id, String(sample.value)]);
	}
	if (!rows.length)
		return print("No node reports a channel backlog: no channel consumers are running.");

	printTable(["channel", "group", "node", "messages"], rows);
}

/** A failing call is one line for the operator, not a stack trace in the log. */
function reported(
	action: (broker: ServiceBroker, args: ReplArgs) => Promise<void>,
): ReplCommand["action"] {
	return (broker, args) =>
		action(broker, args).catch((err: Error) => print(`Failed: ${err.message}`));
}

/** The commands, as moleculer-repl's `customCommands` take them. */
export const replCommands: ReplCommand[] = [
	{
		command: "orgs",
		description: "List organizations with their usage (customers, orders, active API keys)",
		options: [{ option: "--json", description: "print one JSON array instead of a table" }],
		action: reported(orgs),
	},
	{
		command: "revoke-key <id>",
		description: "Revoke an API key by its id, at once, whatever its organization",
		action: reported(revokeKey),
	},
	{
		command: "set-plan <orgId> <plan>",
		description: "Move an organization to another plan (free, pro, enterprise): tenants cannot",
		action: reported(setPlan),
	},
	{
		command: "reset-limit <keyId>",
		description: "Reset the rate-limit window of an API key, on every node",
		action: reported(resetLimit),
	},
	{
		command: "dead-deliveries [org]",
		description: "List dead webhook deliveries, of one organization or all",
		action: reported(deadDeliveries),
	},
	{
		command: "redeliver <deliveryId>",
		description: "Schedule a webhook delivery again (dead or not)",
		action: reported(redeliver),
	},
	{
		command: "backlog",
		description: "Show the messages each channel consumer group has not acknowledged yet",
		action: reported(backlog),
	},
];
