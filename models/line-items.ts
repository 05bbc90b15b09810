/**
 * Priced lines of orders, quotes and invoices, and the totals of the contract's money rule:
 * a line total is round_half_up(unit_price × quantity × (1 − discount)) in minor units; a
 * document total is the sum of its line totals plus tax and shipping minus discount.
 */
import { randomBytes } from "node:crypto";
import type { ValidationRule } from "fastest-validator";
import type { ErrorDetail } from "./errors";
import { isExactMinor, lineTotal, maxExactMajor, minorDigits, toMajor, toMinor } from "./money";

export const MAX_LINES = 500;

/** A line as clients send it. */
export interface LineInput {
	product_id?: string;
	description?: string;
	quantity: number;
	/** Major units; defaults to the product's price. */
	unit_price?: number;
	/** A fraction (0.15 = 15 %). */
	discount?: number;
}

/** A line as stored: money in integer minor units, the product's sku and name copied. */
export interface StoredLine {
	product_id: string | null;
	sku: string | null;
	name: string;
	quantity: number;
	unit_price: number;
	discount: number;
	total: number;
}

/** The product facts a line copies. */
export interface PricedProduct {
	id: string;
	sku: string;
	name: string;
	/** Major units of `currency`. */
	price: number;
	currency: string;
}

/** The validator rule of an `items` field; `productRequired` for orders and quotes. */
export function lineRule(productRequired: boolean): ValidationRule {
	return {
		type: "object",
		strict: true,
		props: {
			product_id: { type: "uuid", optional: !productRequired },
			description: { type: "string", max: 1000, optional: true },
			quantity: { type: "number", integer: true, min: 1, max: 1_000_000 },
			unit_price: { type: "number", min: 0, max: 1e11, optional: true },
			discount: { type: "number", min: 0, max: 1, optional: true },
		},
	};
}

function sixDecimals(value: number): boolean {
	return Math.abs(value * 1e6 - Math.round(value * 1e6)) < 1e-6;
}

/**
 * Prices each input line in `currency`, taking unspecified prices from `products`. Problems
 * are pushed to `details` as `items[i].field`; the returned lines are only meaningful when
 * none were found.
 */
export function priceLines(
	inputs: LineInput[],
	products: Map<string, PricedProduct>,
	currency: string,
	details: ErrorDetail[],
): StoredLine[] {
	return inputs.map((line, i) => {
		const at = (field: string) => `items[${i}].${field}`;
		const product = line.product_id ? products.get(line.product_id) : undefined;
		if (line.product_id && !product)
			details.push({
				field: at("product_id"),
				message: "no such product",
				value: line.product_id,
			});
		if (!line.product_id && (line.unit_price === undefined || !line.description))
			details.push({
				field: at("product_id"),
				message: "is required unless description and unit_price are given",
			});
		if (product && line.unit_price === undefined && product.currency !== currency)
			details.push({
				field: at("unit_price"),
				message:
					`is required: the product is priced in ${product.currency}, not ` +
					`${currency}`,
			});
		const unitMajor = line.unit_price ?? product?.price ?? 0;
		const unit = toMinor(unitMajor, currency);
		if (unit === undefined)
			details.push({
				field: at("unit_price"),
				message: `has more than ${minorDigits(currency)} decimals for ${currency}`,
				value: unitMajor,
			});
		const discount = line.discount ?? 0;
		if (!sixDecimals(discount))
			details.push({
				field: at("discount"),
				message: "has more than 6 decimals",
				value: discount,
			});
		const total = lineTotal(unit ?? 0, line.quantity, discount);
		if (!isExactMinor(total))
			details.push({
				field: at("quantity"),
				message: `makes the line total larger than ${maxExactMajor(currency)} ${currency}`,
				value: line.quantity,
			});

		return {
			product_id: line.product_id ?? null,
			sku: product?.sku ?? null,
			name: line.description ?? product?.name ?? "",
			quantity: line.quantity,
			unit_price: unit ?? 0,
			discount,
			total,
		};
	});
}

export interface Amounts {
	tax_amount?: number | null;
	shipping_amount?: number | null;
	discount_amount?: number | null;
}

/** Subtotal and total in minor units (contract money rule). */
export function documentTotals(
	lines: StoredLine[],
	amounts: Amounts,
): { subtotal: number; total_amount: number } {
	const subtotal = lines.reduce((sum, l) => sum + l.total, 0);
	const total =
		subtotal +
		(amounts.tax_amount ?? 0) +
		(amounts.shipping_amount ?? 0) -
		(amounts.discount_amount ?? 0);

	return { subtotal, total_amount: total };
}

/** A stored line as clients see it: money in major units. */
export function lineOutput(line: StoredLine, currency: string): Record<string, unknown> {
	return {
		...line,
		unit_price: toMajor(line.unit_price, currency),
		total: toMajor(line.total, currency),
	};
}

/**
 * A document number nobody typed: prefix, date and 8 random hex digits (`SO-20240105-9F3A1C2B`).
 */
export function documentNumber(prefix: string, day: string): string {
	return `${prefix}-${day.replace(/-/g, "")}-${randomBytes(4).toString("hex").toUpperCase()}`;
}

/** Stored lines back into the lines a client would send (to copy them onto another document). */
export function lineInputs(lines: StoredLine[], currency: string): LineInput[] {
	return lines.map((l) => ({
		...(l.product_id ? { product_id: l.product_id } : { description: l.name }),
		quantity: l.quantity,
		unit_price: toMajor(l.unit_price, currency),
		discount: l.discount,
	}));
}
