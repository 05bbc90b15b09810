/**
 * `analytics.sales_updated`: broadcast by the analytics service after an order entered or left
 * the sales record, with that day's and month's figures after the change. It is a live feed
 * for the GraphQL `salesMetricsUpdated` subscription, not a domain event: it is not recorded in
 * the event log and no webhook carries it (the `order.*` events are the record).
 */
import type { Context } from "moleculer";
import type { StoredDoc } from "../../mixins/db.mixin";
import { averageMinor, monthOf, type Rollup, rollupId } from "../../models/analytics";
import type { Meta } from "../../models/context";
import { toMajor } from "../../models/money";

export const SALES_METRICS_EVENT = "analytics.sales_updated";

export interface SalesMetricsEvent {
	organization_id: string;
	data: { object: Record<string, unknown> };
}

/** Reads the order's day and month buckets back and broadcasts them to every node. */
export async function broadcastSalesMetrics(
	find: (query: object) => Promise<Rollup[]>,
	ctx: Context<unknown, Meta>,
	order: StoredDoc,
): Promise<void> {
	const org = order.organization_id as string;
	const currency = order.currency as string;
	const day = order.order_date as string;
	const month = monthOf(day);
	const ids = [rollupId(org, "day", day, currency), rollupId(org, "month", month, currency)];
	const buckets = await find({ _id: { $in: ids } });
	const [dayBucket, monthBucket] = ids.map((id) => buckets.find((b) => b._id === id));
	const orders = (b?: Rollup) => b?.orders ?? 0;
	const total = (b?: Rollup) => toMajor(b?.total ?? 0, currency);
	const event: SalesMetricsEvent = {
		organization_id: org,
		data: {
			object: {
				order_id: order._id,
				currency,
				day,
				day_orders: orders(dayBucket),
				day_total: total(dayBucket),
				month,
				month_orders: orders(monthBucket),
				month_total: total(monthBucket),
				month_average_order_value: toMajor(
					averageMinor(monthBucket?.total ?? 0, orders(monthBucket)),
					currency,
				),
			},
		},
	};
	await ctx.broadcast(SALES_METRICS_EVENT, event);
}
