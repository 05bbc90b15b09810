/**
 * Workflow mutations (`cancelOrder(id, reason)`, `fulfillOrder(id, input)`), each resolved by
 * the service's REST workflow action with `{ params: { id }, body }`: the arguments besides `id`
 * form the body (`input` spread into it), keys in snake_case and dates as RFC 3339 strings.
 */
import type { Context } from "moleculer";
import type { Meta } from "../../models/context";
import type { Output } from "../resource/view";
import { toGraphql } from "./convert";
import { type GraphqlModel, snake } from "./model";

export interface StepMutation {
	/** The service's REST workflow action (`cancel`). */
	action: string;
	/** Arguments besides `id`, as SDL (`reason: String`, `input: FulfillOrderInput!`). */
	args?: string;
}

/** Argument values as a REST body: snake_case keys, dates as strings. */
function restArgs(value: unknown): unknown {
	if (value instanceof Date) return value.toISOString();
	if (Array.isArray(value)) return value.map(restArgs);
	if (typeof value !== "object" || value === null) return value;

	return Object.fromEntries(Object.entries(value).map(([k, v]) => [snake(k), restArgs(v)]));
}

export function stepParts(m: GraphqlModel, steps: Record<string, StepMutation>) {
	const mutation = Object.entries(steps).map(
		([name, s]) => `${name}(id: ID!${s.args ? `, ${s.args}` : ""}): ${m.typeName}!`,
	);
	const resolvers = Object.fromEntries(
		Object.entries(steps).map(([name, s]) => [
			name,
			{ action: "graphqlStep", params: { step: s.action } },
		]),
	);

	return { mutation, resolvers };
}

type StepContext = Context<
	{ step: string; id: string; input?: Record<string, unknown> } & Record<string, unknown>,
	Meta
>;

export function stepActions(
	m: GraphqlModel,
	write: string,
	steps: Record<string, StepMutation>,
): Record<string, object> {
	const allowed = [...new Set(Object.values(steps).map((s) => s.action))];
	if (allowed.length === 0) return {};

	return {
		graphqlStep: {
			scope: write,
			visibility: "public",
			// Only the declared workflow actions are reachable, whatever a caller puts in `step`.
			params: { step: { type: "enum", values: allowed }, id: "string" },
			async handler(ctx: StepContext): Promise<Record<string, unknown>> {
				const { step, id, input, ...args } = ctx.params;
				const body = restArgs({ ...args, ...input });
				const out: Output = await ctx.call(`${m.entity.plural}.${step}`, {
					params: { id },
					body,
				});

				return toGraphql(m, out);
			},
		},
	};
}
