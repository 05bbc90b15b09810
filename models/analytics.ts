/**
 * Sales rollups: per-organization buckets of counted orders (models/order.ts), kept up to date
 * as orders enter and leave the sales record, so analytics read a few buckets instead of every
 * order. Buckets are keyed by kind and key and by currency (amounts never mix currencies).
 */

export const GROUP_BY = ["day", "week", "month", "customer", "product"] as const;
export type GroupBy = (typeof GROUP_BY)[number];

/** Bucket kinds: the five groupings, and per-day ones for customers and products (ranges). */
export type RollupKind = GroupBy | "customer_day" | "product_day";

/** A bucket as stored; amounts in minor units of `currency`. */
export interface Rollup {
	_id: string;
	organization_id: string;
	kind: RollupKind;
	key: string;
	currency: string;
	/** The day of `customer_day` / `product_day` buckets, and of `day` buckets. */
	day?: string;
	customer_id?: string;
	product_id?: string;
	orders: number;
	total: number;
	quantity?: number;
	last_order_date?: string;
}

/** Monday of the ISO week holding `day` (`YYYY-MM-DD`). */
export function weekOf(day: string): string {
	const date = new Date(`${day}T00:00:00Z`);
	const shift = (date.getUTCDay() + 6) % 7;
	date.setUTCDate(date.getUTCDate() - shift);

	return date.toISOString().slice(0, 10);
}

export function monthOf(day: string): string {
	return day.slice(0, 7);
}

/** The key a day folds into under a date grouping. */
export function periodOf(groupBy: "day" | "week" | "month", day: string): string {
	if (groupBy === "week") return weekOf(day);
	if (groupBy === "month") return monthOf(day);

	return day;
}

/** Deterministic bucket ids, so an increment is one upsert on either store. */
export function rollupId(
	organizationId: string,
	kind: RollupKind,
	key: string,
	currency: string,
): string {
	return `${organizationId}|${kind}|${key}|${currency}`;
}

/** round_half_up(total / orders) on integers: the average order value in minor units. */
export function averageMinor(total: number, orders: number): number {
	if (orders === 0) return 0;
	const sign = total < 0 ? -1 : 1;

	return sign * Math.floor((Math.abs(total) * 2 + orders) / (2 * orders));
}
