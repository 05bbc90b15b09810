/**
 * Relations in GraphQL, both ways, declared by the service that holds the reference: a
 * contact's `customer` (batched through `customers.graphqlByIds`) and the customer's `contacts`
 * (an `extend type Customer`, batched through `customer-contacts.graphqlByParent`). The service
 * holding the foreign key declares both, so a domain that is not running takes its fields with
 * it and the rest of the schema still builds.
 *
 * Both batch actions answer one entry per key, in key order, as DataLoader requires.
 */
import type { Context } from "moleculer";
import type { Meta } from "../../models/context";
import type { EntityDefinition, RefField } from "../../models/entity";
import type { StoredDoc } from "../db.mixin";
import { parseSort } from "../resource/query";
import type { Output } from "../resource/view";
import { toGraphql } from "./convert";
import { camel, type GraphqlModel, pascal } from "./model";

export interface ParentLink {
	/** The parent's entity description; its `relations` name the list field on the parent. */
	entity: EntityDefinition;
	/** The parent's GraphQL type name, when overridden (`SalesOrder`). */
	typeName?: string;
}

/** Most keys in one batch: a page of 100 rows, each with up to 100 children, stays under it. */
export const BATCH_MAX = 1000;
/** Children listed per parent unless `first` says otherwise (and at most). */
const CHILDREN_DEFAULT = 50;
const CHILDREN_MAX = 100;

export interface ActionResolver {
	action: string;
	rootParams?: Record<string, string>;
	params?: Record<string, unknown>;
	dataLoader?: boolean;
}

export interface RelationParts {
	/** Lines added to this entity's own type. */
	fields: string[];
	/** `extend type <Parent> { … }` blocks. */
	extensions: string[];
	resolvers: Record<string, Record<string, ActionResolver>>;
}

/** The name of the relation of `entity` matching `test`, if its description has one. */
function relationName(
	entity: EntityDefinition,
	test: (r: NonNullable<EntityDefinition["relations"]>[string]) => boolean,
): string | undefined {
	return Object.entries(entity.relations ?? {}).find(([, r]) => test(r))?.[0];
}

export function relationParts(m: GraphqlModel, parents: Record<string, ParentLink>): RelationParts {
	const parts: RelationParts = { fields: [], extensions: [], resolvers: {} };
	const add = (type: string, field: string, resolver: ActionResolver) => {
		parts.resolvers[type] = { ...parts.resolvers[type], [field]: resolver };
	};
	for (const [refField, link] of Object.entries(parents)) {
		const ref = m.entity.fields[refField] as RefField;
		const parentType = link.typeName ?? pascal(link.entity.name);
		const own =
			relationName(m.entity, (r) => r.kind === "one" && r.localKey === refField) ??
			refField.replace(/_id$/, "");
		parts.fields.push(`${own}: ${parentType}`);
		add(m.typeName, own, {
			action: `${ref.service}.graphqlByIds`,
			rootParams: { [camel(refField)]: "keys" },
			dataLoader: true,
		});
		const reverse = relationName(
			link.entity,
			(r) => r.kind === "many" && r.service === m.entity.plural && r.foreignKey === refField,
		);
		if (!reverse) continue;
		const list = `${reverse}(first: Int = ${CHILDREN_DEFAULT}): [${m.typeName}!]!`;
		parts.extensions.push(`extend type ${parentType} {\n\t${list}\n}`);
		add(parentType, reverse, {
			action: "graphqlByParent",
			rootParams: { id: "keys" },
			params: { field: refField },
			dataLoader: true,
		});
	}

	return parts;
}

interface BatchThis {
	orgOf(ctx: Context<unknown, Meta>): string;
	toOutput(doc: StoredDoc): Output;
	storeFind(query: object, options?: object): Promise<StoredDoc[]>;
	storeFindIn(org: string, field: string, values: string[]): Promise<StoredDoc[]>;
}

type Row = Record<string, unknown>;
type KeysContext = Context<{ keys: string[] }, Meta>;
type ChildrenContext = Context<{ keys: string[]; field: string; first?: number }, Meta>;

export function relationActions(
	m: GraphqlModel,
	read: string,
	parents: Record<string, ParentLink>,
) {
	const keys = { type: "array", items: "string", max: BATCH_MAX } as const;
	const batch = { graphql: { dataLoaderOptions: { maxBatchSize: BATCH_MAX } } };
	const actions: Record<string, object> = {
		/** The rows with these ids (null where none), for a reference's DataLoader. */
		graphqlByIds: {
			scope: read,
			visibility: "public",
			params: { keys },
			...batch,
			async handler(this: BatchThis, ctx: KeysContext): Promise<Array<Row | null>> {
				const docs = await this.storeFindIn(this.orgOf(ctx), "id", ctx.params.keys);
				const byId = new Map(docs.map((d) => [d._id, toGraphql(m, this.toOutput(d))]));

				return ctx.params.keys.map((key) => byId.get(key) ?? null);
			},
		},
	};
	if (Object.keys(parents).length === 0) return actions;

	const sort = parseSort(m.entity, undefined, []);
	actions.graphqlByParent = {
		scope: read,
		visibility: "public",
		params: {
			keys,
			field: { type: "enum", values: Object.keys(parents) },
			first: { type: "number", integer: true, min: 1, max: CHILDREN_MAX, optional: true },
		},
		...batch,
		/** Each parent's first children in the default order: one indexed query per parent. */
		async handler(this: BatchThis, ctx: ChildrenContext): Promise<Row[][]> {
			const { field, first = CHILDREN_DEFAULT } = ctx.params;
			const org = this.orgOf(ctx);
			const lists = await Promise.all(
				ctx.params.keys.map((key) =>
					this.storeFind({ organization_id: org, [field]: key }, { sort, limit: first }),
				),
			);

			return lists.map((docs) => docs.map((d) => toGraphql(m, this.toOutput(d))));
		},
	};

	return actions;
}
