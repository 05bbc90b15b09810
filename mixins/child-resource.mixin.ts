/**
 * A resource that lives under a parent in the URL (`…/customers/{customer_id}/contacts`). The
 * parent must exist in the caller's organization for every action reached through that path,
 * and removing the parent removes its children.
 */
import type { Context, ServiceSchema } from "moleculer";
import type { Meta, RestContext } from "../models/context";
import { type RefField, singularOf } from "../models/entity";
import { notFound } from "../models/errors";
import { resourceMixin, type ResourceOptions } from "./resource.mixin";
import type { Output } from "./resource/view";

export function childResourceMixin(options: ResourceOptions): Partial<ServiceSchema> {
	const parentField = options.entity.parentField as string;
	const parent = options.entity.fields[parentField] as RefField;

	return {
		mixins: [resourceMixin(options)],

		hooks: {
			before: {
				async "*"(ctx: RestContext): Promise<void> {
					const parentId = ctx.params?.params?.[parentField];
					if (parentId === undefined) return;
					const found: Output[] = await ctx.call(`${parent.service}.findMany`, {
						field: "id",
						values: [parentId],
					});
					if (found.length === 0) throw notFound(singularOf(parent.service));
				},
			},
		},

		actions: {
			/**
			 * Removes every child of a removed parent (no
			 * events: the parent's deletion is the fact).
			 */
			removeByParent: {
				visibility: "public",
				params: { parent_id: "string" },
				handler(ctx: Context<{ parent_id: string }, Meta>): Promise<number> {
					return this.storeRemove({
						organization_id: this.orgOf(ctx),
						[parentField]: ctx.params.parent_id,
					});
				},
			},
		},
	};
}
