/**
 * Subscriptions fed by domain events, in moleculer-apollo-server's declarative form: one action
 * declares `graphql: { subscription, tags, filter }` and turns an event into the GraphQL object;
 * its filter action keeps only events of the subscriber's organization that match the
 * subscription's arguments. The gateway publishes every event it hears under its type name
 * (services/api/graphql-pubsub.ts), so `tags` are event types.
 */
import type { Context } from "moleculer";
import type { Meta } from "../../models/context";
import type { DomainEvent } from "../events.mixin";
import { toGraphql } from "./convert";
import { enumValue, type GraphqlModel, pascal } from "./model";

export interface SubscriptionSpec {
	/** Event types that feed it (`customer_interaction.created`). */
	events: string[];
	/**
	 * Argument → field of the event's object it must equal (or, for a list, contain). A dotted
	 * argument path reaches into an input object (`filters.customerId`). Unset arguments match all.
	 */
	match?: Record<string, string>;
	/** Arguments of `match` that must be given. */
	required?: string[];
	/** The arguments as SDL, when they are not all plain `match` fields. */
	args?: string;
	/** Field of the object that must be the subscriber's own user id (private streams). */
	owner?: string;
}

type EventContext = Context<{ payload: DomainEvent } & Record<string, unknown>, Meta>;

function argsSDL(m: GraphqlModel, spec: SubscriptionSpec): string {
	if (spec.args !== undefined) return spec.args;
	const types = new Map(m.fields.map((f) => [f.name, f.type]));

	return Object.entries(spec.match ?? {})
		.map(
			([arg, field]) =>
				`${arg}: ${types.get(field)}${spec.required?.includes(arg) ? "!" : ""}`,
		)
		.join(", ");
}

function argAt(args: Record<string, unknown>, path: string): unknown {
	return path
		.split(".")
		.reduce<unknown>((v, key) => (v as Record<string, unknown> | null)?.[key], args);
}

/** True when the event belongs to the subscriber and matches every given argument. */
function matches(
	m: GraphqlModel,
	spec: SubscriptionSpec,
	ctx: EventContext,
	orgOf: (c: EventContext) => string,
): boolean {
	const { payload, ...args } = ctx.params;
	if (payload?.organization_id !== orgOf(ctx)) return false;
	const object = payload.data?.object ?? {};
	if (spec.owner && object[spec.owner] !== ctx.meta.auth?.user_id) return false;
	for (const [path, field] of Object.entries(spec.match ?? {})) {
		const wanted = argAt(args, path);
		if (wanted === undefined || wanted === null) continue;
		// The object holds REST values; GraphQL enum arguments are their UPPER_CASE names.
		const enumValues = m.enums[field]?.values;
		const values = (Array.isArray(wanted) ? wanted : [wanted]).map((v) =>
			enumValues && typeof v === "string" ? enumValue(enumValues, v) : v,
		);
		if (!values.includes(object[field])) return false;
	}

	return true;
}

export function subscriptionActions(
	m: GraphqlModel,
	read: string,
	specs: Record<string, SubscriptionSpec>,
) {
	const actions: Record<string, object> = {};
	for (const [name, spec] of Object.entries(specs)) {
		const filter = `graphqlFilter${pascal(name)}`;
		const args = argsSDL(m, spec);
		actions[`graphqlOn${pascal(name)}`] = {
			scope: read,
			visibility: "public",
			graphql: {
				subscription: `${name}${args ? `(${args})` : ""}: ${m.typeName}!`,
				tags: spec.events,
				filter: `${m.entity.plural}.${filter}`,
			},
			handler(ctx: EventContext): Record<string, unknown> {
				return toGraphql(m, ctx.params.payload.data.object);
			},
		};
		actions[filter] = {
			scope: read,
			visibility: "public",
			handler(this: { orgOf(c: EventContext): string }, ctx: EventContext): boolean {
				return matches(m, spec, ctx, (c) => this.orgOf(c));
			},
		};
	}

	return actions;
}
