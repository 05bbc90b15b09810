/**
 * Workflow mutations (`cancelOrder(id, reason)`, `fulfillOrder(id, input)`), each resolved by
 * the service's REST workflow action with `{ params: { id }, body }`: the arguments besides the
 * id form the body (`input` spread into it), keys in snake_case and dates as RFC 3339 strings.
 */
import type { Context } from "moleculer";
import type { Meta } from "../../models/context";
import type { Output } from "../resource/view";
import { toGraphql } from "./convert";
import { enumValue, type GraphqlModel, snake } from "./model";

export interface StepMutation {
	/** The service's REST workflow action (`cancel`). */
	action: string;
	/** Arguments besides the id, as SDL (`reason: String`, `input: FulfillOrderInput!`). */
	args?: string;
	/** The id argument's name (default `id`; the design document has `quoteId`, `leadId`). */
	idArg?: string;
	/**
	 * When the mutation answers another entity (`convertQuoteToOrder` answers the new order):
	 * its type, the service whose `graphqlByIds` shapes it, and the field of the step's answer
	 * holding its id (default `id`; a converted quote names its order in `order_id`).
	 */
	returns?: { typeName: string; service: string; idField?: string };
	/**
	 * Body keys (snake_case) holding enum values besides the entity's own enum fields
	 * (`segment` of a converted lead), so `MID_MARKET` reaches REST as `mid_market`.
	 */
	enums?: Record<string, readonly string[]>;
	/**
	 * The answer as one field of a result type (`ConvertLeadResult.lead`) whose other fields the
	 * service resolves from it (declared in its `types` and `resolvers`).
	 */
	wrap?: { typeName: string; field: string };
}

interface StepParams {
	step: string;
	idArg: string;
	via?: string;
	viaField?: string;
	wrapField?: string;
	input?: Record<string, unknown>;
}

type StepContext = Context<StepParams & Record<string, unknown>, Meta>;
type Row = Record<string, unknown>;

/** Argument values as a REST body: snake_case keys, dates as strings. */
function restArgs(value: unknown): unknown {
	if (value instanceof Date) return value.toISOString();
	if (Array.isArray(value)) return value.map(restArgs);
	if (typeof value !== "object" || value === null) return value;

	return Object.fromEntries(Object.entries(value).map(([k, v]) => [snake(k), restArgs(v)]));
}

/** Top-level enum values of a body as REST spells them. */
function restEnums(
	body: Record<string, unknown>,
	enums: Record<string, readonly string[]>,
): Record<string, unknown> {
	return Object.fromEntries(
		Object.entries(body).map(([k, v]) => [
			k,
			enums[k] && typeof v === "string" ? enumValue(enums[k], v) : v,
		]),
	);
}

export function stepParts(m: GraphqlModel, steps: Record<string, StepMutation>) {
	const mutation = Object.entries(steps).map(([name, s]) => {
		const args = [`${s.idArg ?? "id"}: ID!`, ...(s.args ? [s.args] : [])].join(", ");

		return `${name}(${args}): ${s.wrap?.typeName ?? s.returns?.typeName ?? m.typeName}!`;
	});
	const resolvers = Object.fromEntries(
		Object.entries(steps).map(([name, s]) => {
			const params = {
				step: s.action,
				idArg: s.idArg ?? "id",
				via: s.returns?.service,
				viaField: s.returns?.idField,
				wrapField: s.wrap?.field,
			};

			return [name, { action: "graphqlStep", params }];
		}),
	);

	return { mutation, resolvers };
}

export function stepActions(
	m: GraphqlModel,
	write: string,
	steps: Record<string, StepMutation>,
): Record<string, object> {
	const declared = Object.values(steps);
	if (declared.length === 0) return {};
	const services = declared.flatMap((s) => (s.returns ? [s.returns.service] : []));

	return {
		graphqlStep: {
			scope: write,
			visibility: "public",
			// Only the declared workflow actions are reachable, whatever a caller puts in `step`.
			params: {
				step: { type: "enum", values: [...new Set(declared.map((s) => s.action))] },
				idArg: "string",
				via: { type: "enum", values: [...new Set(services)], optional: true },
				viaField: { type: "string", optional: true },
				wrapField: { type: "string", optional: true },
			},
			async handler(ctx: StepContext): Promise<Row | null> {
				const { step, idArg, via, viaField = "id", wrapField, input, ...rest } = ctx.params;
				const { [idArg]: id, ...args } = rest;
				const spec = Object.values(steps).find((s) => s.action === step);
				const enums = {
					...Object.fromEntries(Object.entries(m.enums).map(([k, e]) => [k, e.values])),
					...spec?.enums,
				};
				const body = restEnums(
					restArgs({ ...args, ...input }) as Record<string, unknown>,
					enums,
				);
				const out: Output = await ctx.call(`${m.entity.plural}.${step}`, {
					params: { id },
					body,
				});
				const [row]: Array<Row | null> = via
					? await ctx.call(`${via}.graphqlByIds`, { keys: [String(out[viaField])] })
					: [toGraphql(m, out)];

				return wrapField ? { [wrapField]: row } : row;
			},
		},
	};
}
