/**
 * Sales analytics from rollups kept in the store (`sales-rollups`): the orders service reports
 * each order entering or leaving the sales record, and this service adds it to (or takes it
 * from) its day, week, month, customer and product buckets with one upsert each. Reads touch
 * buckets only, never the orders themselves. `rebuild` recomputes an organization's buckets
 * from its orders, for repair after a crash between an order write and its rollup.
 */
import type { Context, ServiceSchema } from "moleculer";
import { storeMixin, type StoredDoc } from "../mixins/db.mixin";
import { actionBody } from "../mixins/resource/action-body";
import type { Output } from "../mixins/resource/view";
import {
	averageMinor,
	GROUP_BY,
	type GroupBy,
	monthOf,
	periodOf,
	type Rollup,
	type RollupKind,
	rollupId,
	weekOf,
} from "../models/analytics";
import type { Auth, Meta, RestContext } from "../models/context";
import { unrealDates } from "../models/dates";
import { ApiError, notFound, validationError } from "../models/errors";
import type { StoredLine } from "../models/line-items";
import { toMajor } from "../models/money";
import { COUNTED_ORDER_STATUSES } from "../models/order";
import { analyticsGraphql } from "./analytics/graphql";
import { broadcastSalesMetrics } from "./analytics/sales-metrics";

interface RecordParams {
	order: StoredDoc;
	sign: 1 | -1;
	/** On removal: the customer's latest remaining counted order date (null: none left). */
	last_order_date?: string | null;
}

interface Bump {
	kind: RollupKind;
	key: string;
	orders: number;
	total: number;
	quantity?: number;
	extra?: Record<string, string>;
}

const DATE = { type: "string", pattern: /^\d{4}-\d{2}-\d{2}$/, optional: true } as const;
const salesQuery = actionBody<{ group_by: GroupBy; from?: string; to?: string }>({
	group_by: { type: "enum", values: [...GROUP_BY] },
	from: DATE,
	to: DATE,
});
const REBUILD_BATCH = 500;

/** The buckets one order moves, by `sign` (+1 entering the sales record, −1 leaving it). */
function bumpsOf(order: StoredDoc, sign: number): Bump[] {
	const day = order.order_date as string;
	const customer = order.customer_id as string;
	const total = sign * (order.total_amount as number);
	const bumps: Bump[] = [
		{ kind: "day", key: day, orders: sign, total, extra: { day } },
		{ kind: "week", key: weekOf(day), orders: sign, total },
		{ kind: "month", key: monthOf(day), orders: sign, total },
		{ kind: "customer", key: customer, orders: sign, total, extra: { customer_id: customer } },
		{
			kind: "customer_day",
			key: `${customer}|${day}`,
			orders: sign,
			total,
			extra: { customer_id: customer, day },
		},
	];
	const byProduct = new Map<string, { total: number; quantity: number }>();
	for (const line of (order.items as StoredLine[]) ?? []) {
		if (!line.product_id) continue;
		const sum = byProduct.get(line.product_id) ?? { total: 0, quantity: 0 };
		sum.total += line.total;
		sum.quantity += line.quantity;
		byProduct.set(line.product_id, sum);
	}
	for (const [product, sum] of byProduct) {
		const common = { orders: sign, total: sign * sum.total, quantity: sign * sum.quantity };
		bumps.push({ kind: "product", key: product, ...common, extra: { product_id: product } });
		bumps.push({
			kind: "product_day",
			key: `${product}|${day}`,
			...common,
			extra: { product_id: product, day },
		});
	}

	return bumps;
}

const AnalyticsService: ServiceSchema = {
	name: "analytics",
	mixins: [
		storeMixin({ collection: "sales-rollups", indexes: ["kind", "day", "key"] }),
		analyticsGraphql(),
	],

	actions: {
		/** Adds (or removes) one order to the rollups; called by the orders service only. */
		recordOrder: {
			visibility: "public",
			async handler(ctx: Context<RecordParams, Meta>): Promise<void> {
				const { order, sign, last_order_date: last } = ctx.params;
				if (order.organization_id !== this.orgOf(ctx)) throw notFound("order");
				await this.applyOrder(order, sign, last);
				await broadcastSalesMetrics((q) => this.storeFind(q), ctx, order);
			},
		},

		/** `GET …/customers/{customer_id}/analytics`. */
		customer: {
			scope: "customers:read",
			async handler(ctx: RestContext): Promise<Record<string, unknown>> {
				const id = ctx.params.params?.customer_id;
				this.noQuery(ctx);
				const [customer]: Output[] = await ctx.call("customers.findMany", {
					field: "id",
					values: [id],
				});
				if (!customer) throw notFound("customer");
				const buckets: Rollup[] = await this.storeFind({
					organization_id: this.orgOf(ctx),
					kind: "customer",
					key: id,
					orders: { $gt: 0 },
				});
				const own = buckets.find((b) => b.currency === customer.currency) ?? buckets[0];
				const main = this.customerFigures(own, customer.currency as string);
				const byCurrency = buckets.map((b) => this.customerFigures(b, b.currency));

				return { customer_id: id, ...main, by_currency: byCurrency };
			},
		},

		/** `GET …/analytics/sales?group_by=day|week|month|customer|product&from&to`. */
		sales: {
			scope: "analytics:read",
			async handler(ctx: RestContext): Promise<Record<string, unknown>> {
				const { group_by: groupBy, from, to } = salesQuery(ctx.params.query ?? {});
				const unreal = unrealDates({ from, to });
				if (unreal.length) throw validationError(unreal);
				if (from && to && from > to)
					throw validationError([
						{ field: "from", message: "must not be after to", value: from },
					]);
				const buckets: Rollup[] = await this.bucketsFor(ctx, groupBy, from, to);
				const groups = await this.named(ctx, groupBy, buckets);
				const totals = new Map<string, { orders: number; total: number }>();
				for (const b of buckets) {
					const t = totals.get(b.currency) ?? { orders: 0, total: 0 };
					t.orders += b.orders;
					t.total += b.total;
					totals.set(b.currency, t);
				}

				return {
					group_by: groupBy,
					from: from ?? null,
					to: to ?? null,
					groups,
					totals: [...totals].map(([currency, t]) =>
						this.salesFigures({ currency, orders: t.orders, total: t.total }),
					),
				};
			},
		},

		/** Recomputes the caller's rollups from its orders (operator repair). */
		rebuild: {
			visibility: "public",
			async handler(ctx: Context<unknown, Meta>): Promise<{ orders: number }> {
				const org = this.orgOf(ctx);
				await this.storeRemove({ organization_id: org });
				let counted = 0;
				let after: string | undefined;
				for (;;) {
					const batch: StoredDoc[] = await ctx.call("orders.storedBatch", {
						after_id: after,
						limit: REBUILD_BATCH,
					});
					for (const order of batch) {
						if (!COUNTED_ORDER_STATUSES.includes(order.status as never)) continue;
						await this.applyOrder(order, 1);
						counted++;
					}
					if (batch.length < REBUILD_BATCH) break;
					after = batch[batch.length - 1]._id;
				}

				return { orders: counted };
			},
		},
	},

	methods: {
		orgOf(ctx: Context<unknown, Meta>): string {
			const auth = ctx.meta.auth as Auth | undefined;
			if (!auth?.organization_id)
				throw new ApiError("UNAUTHORIZED", "No organization in the call context");

			return auth.organization_id;
		},

		noQuery(ctx: RestContext): void {
			const keys = Object.keys(ctx.params.query ?? {});
			if (keys.length)
				throw validationError(
					keys.map((field) => ({
						field,
						message: "is not a parameter of this resource",
					})),
				);
		},

		async applyOrder(order: StoredDoc, sign: number, last?: string | null): Promise<void> {
			const org = order.organization_id as string;
			const currency = order.currency as string;
			// Each bucket is its own document, so the upserts are independent of one another.
			const upserts = bumpsOf(order, sign).map((bump) => {
				const update: Record<string, Record<string, unknown>> = {
					$set: {
						organization_id: org,
						kind: bump.kind,
						key: bump.key,
						currency,
						...bump.extra,
					},
					$inc: { orders: bump.orders, total: bump.total, quantity: bump.quantity ?? 0 },
				};
				if (bump.kind === "customer") {
					// A removal names the remaining latest
					// date; an addition can only move it later.
					if (sign > 0) update.$max = { last_order_date: order.order_date };
					else if (last) update.$set.last_order_date = last;
					else update.$unset = { last_order_date: true };
				}

				return this.storeUpsert(
					{ _id: rollupId(org, bump.kind, bump.key, currency) },
					update,
				);
			});
			await Promise.all(upserts);
		},

		/**
		 * The buckets of a grouping; with a date range, day-level buckets folded by the grouping.
		 */
		async bucketsFor(
			ctx: RestContext,
			groupBy: GroupBy,
			from?: string,
			to?: string,
		): Promise<Rollup[]> {
			const org = this.orgOf(ctx);
			if (!from && !to)
				return this.storeFind(
					{ organization_id: org, kind: groupBy, orders: { $gt: 0 } },
					{ sort: [["key", 1]] },
				);
			const dayKind =
				groupBy === "customer"
					? "customer_day"
					: groupBy === "product"
						? "product_day"
						: "day";
			const range: Record<string, string> = {};
			if (from) range.$gte = from;
			if (to) range.$lte = to;
			const days: Rollup[] = await this.storeFind(
				{ organization_id: org, kind: dayKind, day: range, orders: { $gt: 0 } },
				{ sort: [["key", 1]] },
			);
			const folded = new Map<string, Rollup>();
			for (const d of days) {
				const key =
					groupBy === "customer"
						? (d.customer_id as string)
						: groupBy === "product"
							? (d.product_id as string)
							: periodOf(groupBy, d.day as string);
				const id = `${key}|${d.currency}`;
				const sum = folded.get(id) ?? { ...d, key, orders: 0, total: 0, quantity: 0 };
				sum.orders += d.orders;
				sum.total += d.total;
				sum.quantity = (sum.quantity ?? 0) + (d.quantity ?? 0);
				folded.set(id, sum);
			}

			return [...folded.values()].sort((a, b) => a.key.localeCompare(b.key));
		},

		/** Figures of the groups, with customer or product names loaded in batches. */
		async named(
			ctx: RestContext,
			groupBy: GroupBy,
			buckets: Rollup[],
		): Promise<Record<string, unknown>[]> {
			const rows = buckets.map((b) => ({ key: b.key, ...this.salesFigures(b, groupBy) }));
			if (groupBy !== "customer" && groupBy !== "product") return rows;
			const service = groupBy === "customer" ? "customers" : "products";
			const ids = [...new Set(buckets.map((b) => b.key))];
			const names = new Map<string, string>();
			for (let i = 0; i < ids.length; i += 1000) {
				const found: Output[] = await ctx.call(`${service}.findMany`, {
					field: "id",
					values: ids.slice(i, i + 1000),
				});
				found.forEach((r) => names.set(r.id, r.name as string));
			}

			return rows
				.map((r) => ({ ...r, name: names.get(r.key) ?? null }))
				.sort((a, b) => (b.total as number) - (a.total as number));
		},

		/** A customer's figures in one currency, in major units (zeros when it has none). */
		customerFigures(bucket: Rollup | undefined, currency: string): Record<string, unknown> {
			const cur = bucket?.currency ?? currency;
			const orders = bucket?.orders ?? 0;
			const total = bucket?.total ?? 0;

			return {
				currency: cur,
				total_orders: orders,
				total_spent: toMajor(total, cur),
				average_order_value: toMajor(averageMinor(total, orders), cur),
				last_order_date: bucket?.last_order_date ?? null,
			};
		},

		/** One group (or a currency's grand total) of a sales report, in major units. */
		salesFigures(
			bucket: Pick<Rollup, "currency" | "orders" | "total" | "quantity">,
			groupBy?: GroupBy,
		): Record<string, unknown> {
			const { currency, orders, total } = bucket;
			const out: Record<string, unknown> = {
				currency,
				orders,
				total: toMajor(total, currency),
				average_order_value: toMajor(averageMinor(total, orders), currency),
			};
			if (groupBy === "product") out.quantity = bucket.quantity ?? 0;

			return out;
		},
	},
};

export default AnalyticsService;
