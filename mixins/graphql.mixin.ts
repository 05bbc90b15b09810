/**
 * The GraphQL face of a resource service, derived from its entity description: the object type,
 * inputs, filters, sort and connection (mixins/graphql/sdl.ts), the queries and mutations, and
 * the `graphql*` actions they resolve to. Everything it puts in the service's settings is data
 * (SDL strings and `{ action, rootParams, params, dataLoader }` resolvers), never a function:
 * in a cluster the gateway builds the schema from settings that crossed the transporter.
 *
 * Each action turns GraphQL arguments into the REST params shape and calls the service's own
 * REST action (`list`, `create`, `cancel` …), so parsing, validation, hooks and events are the
 * same code path as REST; each declares the scope of its REST twin.
 */
import type { ServiceSchema } from "moleculer";
import type { EntityDefinition } from "../models/entity";
import {
	ALL_OPERATIONS,
	crudActions,
	type Operation,
	operationParts,
	searchAction,
} from "./graphql/crud";
import {
	enumName,
	graphqlModel,
	type GraphqlModel,
	type GraphqlModelOptions,
} from "./graphql/model";
import {
	type ActionResolver,
	relationParts,
	type ParentLink,
	relationActions,
} from "./graphql/relations";
import {
	bulkSDL,
	connectionSDL,
	enumsSDL,
	filterSDL,
	inputsSDL,
	objectTypeSDL,
	sortSDL,
} from "./graphql/sdl";
import { type StepMutation, stepParts, stepActions } from "./graphql/steps";
import { subscriptionActions, type SubscriptionSpec } from "./graphql/subscriptions";

export type { Operation };

export interface GraphqlOptions extends GraphqlModelOptions {
	/** Resource part of the scopes, as given to the resource mixin (default: the plural). */
	scope?: string;
	/** Queries and mutations to expose (default: all five). */
	operations?: Operation[];
	/** The caller's own record (the organization): `organization`, `updateOrganization(input)`. */
	singleton?: boolean;
	/** `bulkCreate…`, `bulkUpdate…`, `bulkDelete…` over the service's bulk actions. */
	bulk?: boolean;
	/** Found by the `search` query. */
	search?: boolean;
	/** Extra SDL the entity's types need (the type of an order line). */
	types?: string;
	/** Resolvers of the types in `types`, as data (`{ action, rootParams, dataLoader }`). */
	resolvers?: Record<string, Record<string, ActionResolver>>;
	/** By reference field (`customer_id`): the parent it names (relation both ways). */
	parents?: Record<string, ParentLink>;
	/** Workflow mutations by name (`cancelOrder`). */
	steps?: Record<string, StepMutation>;
	/** Subscriptions by name (`customerInteraction`), fed by domain events. */
	subscriptions?: Record<string, SubscriptionSpec>;
}

/** What the gateway reads from a searchable service's settings (services/api/graphql-schema.ts). */
export interface SearchSettings {
	type: string;
	typeName: string;
	scope: string;
}

function typeParts(m: GraphqlModel, ops: Operation[], options: GraphqlOptions, extra: string[]) {
	const types = [...enumsSDL(m), objectTypeSDL(m, extra)];
	if (ops.includes("create") || ops.includes("update") || options.bulk)
		types.push(...inputsSDL(m));
	if (ops.includes("list") && !options.singleton)
		types.push(filterSDL(m), ...sortSDL(m), ...connectionSDL(m));
	if (options.bulk) types.push(...bulkSDL(m));
	if (options.types) types.push(options.types);

	return types;
}

/** A resolver map for a root type the service adds nothing to would fail the schema build. */
function withoutEmpty<T extends object>(resolvers: Record<string, T>): Record<string, T> {
	return Object.fromEntries(Object.entries(resolvers).filter(([, r]) => Object.keys(r).length));
}

export function graphqlMixin(
	entity: EntityDefinition,
	options: GraphqlOptions = {},
): Partial<ServiceSchema> {
	const m = graphqlModel(entity, options);
	const scope = options.scope ?? entity.plural;
	const [read, write] = [`${scope}:read`, `${scope}:write`];
	const ops = options.operations ?? ALL_OPERATIONS;
	const relations = relationParts(m, options.parents ?? {});
	const operations = operationParts(m, ops, options);
	const steps = stepParts(m, options.steps ?? {});
	const search: SearchSettings | undefined = options.search
		? { type: enumName(entity.name), typeName: m.typeName, scope: read }
		: undefined;

	return {
		settings: {
			graphql: {
				type: [...typeParts(m, ops, options, relations.fields), ...relations.extensions],
				query: operations.query,
				mutation: [...operations.mutation, ...steps.mutation],
				resolvers: withoutEmpty({
					...relations.resolvers,
					...options.resolvers,
					Query: operations.resolvers.Query,
					Mutation: { ...operations.resolvers.Mutation, ...steps.resolvers },
				}),
			},
			...(search ? { graphqlSearch: search } : {}),
		},
		actions: {
			...crudActions(m, ops, options, read, write),
			...relationActions(m, read, options.parents ?? {}),
			...stepActions(m, write, options.steps ?? {}),
			...(search ? searchAction(m, read) : {}),
			...subscriptionActions(m, read, options.subscriptions ?? {}),
		},
	};
}
