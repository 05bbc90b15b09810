/**
 * Reading the Northwind CSV files with their real-world faults (see the data folder's README).
 * Some rows carry an unquoted comma inside one free-text field, so they have more fields than
 * the header. Every other column has a fixed meaning, so the row is recovered by anchoring the
 * columns left of the free-text field at the start and those right of it at the end; the
 * fields in between are that one value, rejoined with the commas the parser took out. A row
 * that still fails its table's checks is rejected with its line number, never dropped silently.
 */
import fs from "node:fs";
import path from "node:path";
import { parse } from "csv-parse/sync";

export type Row = Record<string, string | null>;

export interface RejectedRow {
	file: string;
	line: number;
	reason: string;
}

export interface Table {
	file: string;
	rows: Array<{ line: number; row: Row }>;
	/** Rows read only thanks to the anchoring above. */
	recovered: number;
	rejected: RejectedRow[];
}

export interface TableSpec {
	file: string;
	/** The one column whose text may hold an unquoted comma. */
	freeText?: string;
	/** Checks of the anchored columns; each returns a problem or undefined. */
	checks: Record<string, (value: string | null) => string | undefined>;
}

const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/;

export const is = {
	integer: (v: string | null) =>
		v !== null && INTEGER.test(v) ? undefined : "is not a whole number",
	decimal: (v: string | null) => (v !== null && DECIMAL.test(v) ? undefined : "is not a number"),
	present: (v: string | null) => (v !== null && v.trim() !== "" ? undefined : "is missing"),
	code: (v: string | null) =>
		v !== null && /^[A-Z]{5}$/.test(v) ? undefined : "is not a customer code",
	dateTime: (v: string | null) => (v !== null && DATE_TIME.test(v) ? undefined : "is not a date"),
	optionalDateTime: (v: string | null) =>
		v === null || DATE_TIME.test(v) ? undefined : "is not a date",
};

/** `NULL` is the files' marker for a missing value. */
function cell(value: string): string | null {
	return value === "NULL" ? null : value;
}

/** The header's fields from `fields`, joining the surplus into the free-text column. */
function anchored(header: string[], fields: string[], freeText?: string): string[] | string {
	if (fields.length === header.length) return fields;
	if (fields.length < header.length)
		return `has ${fields.length} fields, the header ${header.length}`;
	const k = freeText ? header.indexOf(freeText) : -1;
	if (k < 0) return `has ${fields.length} fields, the header ${header.length}`;
	const right = header.length - k - 1;
	const middle = fields.slice(k, fields.length - right).join(",");

	return [...fields.slice(0, k), middle, ...fields.slice(fields.length - right)];
}

export function readTable(dir: string, spec: TableSpec): Table {
	const text = fs.readFileSync(path.join(dir, spec.file), "utf8");
	const records: Array<{ record: string[]; info: { lines: number } }> = parse(text, {
		bom: true,
		info: true,
		relax_column_count: true,
		skip_empty_lines: true,
	});
	const [head, ...body] = records;
	const header = head.record.map((h) => h.trim());
	const table: Table = { file: spec.file, rows: [], recovered: 0, rejected: [] };
	for (const { record, info } of body) {
		const reject = (reason: string) =>
			table.rejected.push({ file: spec.file, line: info.lines, reason });
		const fields = anchored(header, record, spec.freeText);
		if (typeof fields === "string") {
			reject(fields);
			continue;
		}
		const row: Row = Object.fromEntries(header.map((h, i) => [h, cell(fields[i])]));
		const problems = Object.entries(spec.checks)
			.map(([column, check]) => {
				const problem = check(row[column]);

				return problem && `${column} ${problem}`;
			})
			.filter(Boolean);
		if (problems.length) {
			reject(problems.join("; "));
			continue;
		}
		if (record.length !== header.length) table.recovered++;
		table.rows.push({ line: info.lines, row });
	}

	return table;
}

/** The tables the import reads, with the free-text column of each and what anchors it. */
export const SPECS = {
	customers: {
		file: "customers.csv",
		freeText: "address",
		checks: { customerID: is.code, companyName: is.present, country: is.present },
	},
	categories: { file: "categories.csv", checks: { categoryID: is.integer } },
	products: {
		file: "products.csv",
		freeText: "productName",
		checks: {
			productID: is.integer,
			supplierID: is.integer,
			categoryID: is.integer,
			unitPrice: is.decimal,
			unitsInStock: is.integer,
			discontinued: is.integer,
		},
	},
	shippers: { file: "shippers.csv", freeText: "companyName", checks: { shipperID: is.integer } },
	orders: {
		file: "orders.csv",
		freeText: "shipAddress",
		checks: {
			orderID: is.integer,
			customerID: is.code,
			orderDate: is.dateTime,
			requiredDate: is.optionalDateTime,
			shippedDate: is.optionalDateTime,
			shipVia: is.integer,
			freight: is.decimal,
			shipCountry: is.present,
		},
	},
	orderDetails: {
		file: "order-details.csv",
		checks: {
			orderID: is.integer,
			productID: is.integer,
			unitPrice: is.decimal,
			quantity: is.integer,
			discount: is.decimal,
		},
	},
} satisfies Record<string, TableSpec>;
