/** GraphQL pieces shared by the domains with priced lines (orders, quotes, invoices). */
import type { GraphqlOptions } from "../../mixins/graphql.mixin";

/** `items` as typed lines (services/api/graphql-schema.ts), required on orders and quotes. */
export const REQUIRED_LINES = { output: "[LineItem!]!", input: "[LineItemInput!]" };
/** An invoice may be made from its order's lines, so its own are optional. */
export const OPTIONAL_LINES = { output: "[LineItem!]", input: "[LineItemInput!]" };

type Row = Record<string, unknown>;

/** Today as `YYYY-MM-DD` in UTC, the form date fields are stored in. */
function today(): string {
	return new Date().toISOString().slice(0, 10);
}

/** Past `field` (a date) while the row is in one of `open` states. */
export function pastDate(row: Row, field: string, open: readonly string[]): boolean {
	const date = row[field];

	return open.includes(row.status as string) && typeof date === "string" && date < today();
}

export type { GraphqlOptions };
