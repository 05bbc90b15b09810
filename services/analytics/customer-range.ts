/**
 * A customer's figures over a period of days, folded from its per-day buckets (the customer
 * buckets hold all time only), in the shape of `GET …/customers/{id}/analytics`.
 */
import type { Context } from "moleculer";
import type { Output } from "../../mixins/resource/view";
import type { Rollup } from "../../models/analytics";
import type { Meta } from "../../models/context";
import { notFound } from "../../models/errors";

interface RangeHost {
	orgOf(ctx: Context<unknown, Meta>): string;
	storeFind(query: object, options?: object): Promise<Rollup[]>;
	customerFigures(bucket: Rollup | undefined, currency: string): Record<string, unknown>;
}

export async function customerAnalyticsIn(
	host: RangeHost,
	ctx: Context<unknown, Meta>,
	customerId: string,
	from?: string,
	to?: string,
): Promise<Record<string, unknown>> {
	const [customer]: Output[] = await ctx.call("customers.findMany", {
		field: "id",
		values: [customerId],
	});
	if (!customer) throw notFound("customer");
	const day: Record<string, string> = {};
	if (from) day.$gte = from;
	if (to) day.$lte = to;
	const days = await host.storeFind({
		organization_id: host.orgOf(ctx),
		kind: "customer_day",
		customer_id: customerId,
		day,
		orders: { $gt: 0 },
	});

	// One bucket per currency, as the all-time customer buckets are kept.
	const byCurrency = new Map<string, Rollup>();
	for (const d of days) {
		const sum = byCurrency.get(d.currency) ?? { ...d, orders: 0, total: 0 };
		sum.orders += d.orders;
		sum.total += d.total;
		if (!sum.last_order_date || (d.day as string) > sum.last_order_date)
			sum.last_order_date = d.day;
		byCurrency.set(d.currency, sum);
	}
	const buckets = [...byCurrency.values()];
	const own = buckets.find((b) => b.currency === customer.currency) ?? buckets[0];
	const main = host.customerFigures(own, customer.currency as string);

	return {
		customer_id: customerId,
		...main,
		by_currency: buckets.map((b) => host.customerFigures(b, b.currency)),
	};
}
