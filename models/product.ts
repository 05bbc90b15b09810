import { defineEntity, type RecordOf } from "./entity";
import { CURRENCY_FIELD } from "./money";
import { NAME_FIELD } from "./fields";

/** Stock keeping units: letters, digits and `-_.:/`, as most catalogues write them. */
export const SKU_PATTERN = /^[A-Za-z0-9][A-Za-z0-9\-_.:/]{0,63}$/;

export const Product = defineEntity({
	name: "product",
	plural: "products",
	currencyField: "currency",
	defaultSort: "name:asc",
	fields: {
		sku: {
			type: "string",
			pattern: SKU_PATTERN,
			max: 64,
			required: true,
			unique: true,
			filter: true,
			sort: true,
			search: true,
			description: "Stock keeping unit; unique in the organization, imports upsert by it",
		},
		name: NAME_FIELD,
		description: { type: "string", max: 5000, search: true },
		price: {
			type: "money",
			min: 0,
			required: true,
			sort: true,
			description: "Unit price in major units of `currency`",
		},
		currency: CURRENCY_FIELD,
		category: { type: "string", max: 100, filter: true, sort: true, search: true },
		unit: { type: "string", max: 100, description: "What one unit is (`10 boxes x 20 bags`)" },
		stock: { type: "integer", min: 0, max: 1_000_000_000, default: 0, sort: true },
		is_active: { type: "boolean", default: true, filter: true },
		metadata: { type: "object", maxBytes: 16384 },
	},
});
export type ProductRecord = RecordOf<typeof Product>;
