/**
 * Northwind rows as bodies of the public API: customers keyed by `external_id` (the customer
 * code), products by `sku` (the product id), orders by `external_id` (the order id) with their
 * lines priced as the file says. Northwind has no currency column; its amounts are dollars.
 */
import type { Row } from "./tables";

export const CURRENCY = "USD";

/** The status an imported order ends in, and the workflow steps that lead there. */
export const ORDER_PATH = ["draft", "confirmed", "processing", "shipped"] as const;
const STEP_INTO: Record<string, string> = {
	confirmed: "confirm",
	processing: "process",
	shipped: "ship",
};

function day(dateTime: string | null): string | null {
	return dateTime ? dateTime.slice(0, 10) : null;
}

function compact(object: Record<string, unknown>): Record<string, unknown> {
	return Object.fromEntries(
		Object.entries(object).filter(([, v]) => v !== null && v !== undefined),
	);
}

export function customerBody(row: Row): Record<string, unknown> {
	return compact({
		external_id: row.customerID,
		name: row.companyName,
		company: row.companyName,
		segment: "smb",
		phone: row.phone,
		currency: CURRENCY,
		address: {
			line1: row.address,
			city: row.city,
			region: row.region,
			postal_code: row.postalCode,
			country: row.country,
		},
		metadata: compact({
			source: "northwind",
			contact_name: row.contactName,
			contact_title: row.contactTitle,
			fax: row.fax,
		}),
	});
}

export function productBody(row: Row, categories: Map<string, string>): Record<string, unknown> {
	return compact({
		sku: row.productID,
		name: row.productName,
		price: Number(row.unitPrice),
		currency: CURRENCY,
		category: categories.get(row.categoryID ?? "") ?? null,
		unit: row.quantityPerUnit,
		stock: Number(row.unitsInStock),
		is_active: row.discontinued === "0",
		metadata: compact({
			source: "northwind",
			supplier_id: row.supplierID,
			units_on_order: row.unitsOnOrder === null ? null : Number(row.unitsOnOrder),
			reorder_level: row.reorderLevel === null ? null : Number(row.reorderLevel),
		}),
	});
}

export function orderBody(
	row: Row,
	lines: Row[],
	customerId: string,
	productIds: Map<string, string>,
): Record<string, unknown> {
	return compact({
		external_id: row.orderID,
		order_number: row.orderID,
		customer_id: customerId,
		currency: CURRENCY,
		order_date: day(row.orderDate),
		requested_delivery_date: day(row.requiredDate),
		items: lines.map((line) => ({
			product_id: productIds.get(line.productID ?? ""),
			quantity: Number(line.quantity),
			unit_price: Number(line.unitPrice),
			discount: Number(line.discount),
		})),
		shipping_amount: Number(row.freight),
		shipping_address: {
			name: row.shipName,
			line1: row.shipAddress,
			city: row.shipCity,
			region: row.shipRegion,
			postal_code: row.shipPostalCode,
			country: row.shipCountry,
		},
		metadata: compact({
			source: "northwind",
			employee_id: row.employeeID,
			ship_via: row.shipVia,
		}),
	});
}

export function targetStatus(row: Row): (typeof ORDER_PATH)[number] {
	return row.shippedDate ? "shipped" : "confirmed";
}

/** The workflow calls that take an order from `current` to `target` (none when it is there). */
export function stepsBetween(
	current: string,
	target: string,
	row: Row,
	shippers: Map<string, string>,
): Array<{ step: string; body: Record<string, unknown> }> {
	const from = ORDER_PATH.indexOf(current as never);
	const to = ORDER_PATH.indexOf(target as never);
	if (from < 0 || to <= from) return [];

	return ORDER_PATH.slice(from + 1, to + 1).map((state) => ({
		step: STEP_INTO[state],
		body:
			state === "shipped"
				? {
						carrier: shippers.get(row.shipVia ?? "") ?? `Shipper ${row.shipVia}`,
						shipped_at: `${day(row.shippedDate)}T00:00:00.000Z`,
					}
				: {},
	}));
}
