/**
 * Documents made of priced lines (orders, quotes, invoices): prices client lines against the
 * organization's products in one batch, keeps subtotal and total by the contract's money rule,
 * and shows line amounts in major units.
 */
import type { ServiceSchema } from "moleculer";
import type { RestContext } from "../models/context";
import type { EntityDefinition } from "../models/entity";
import { conflict, type ErrorDetail, validationError } from "../models/errors";
import {
	type Amounts,
	documentTotals,
	type LineInput,
	lineOutput,
	type PricedProduct,
	priceLines,
	type StoredLine,
} from "../models/line-items";
import { isExactMinor, maxExactMajor } from "../models/money";
import type { StoredDoc } from "./db.mixin";
import type { Body } from "./resource/body";
import { type Output, project, toOutput } from "./resource/view";

const AMOUNT_FIELDS = ["tax_amount", "shipping_amount", "discount_amount"] as const;
const PRICED_FIELDS = ["items", ...AMOUNT_FIELDS];

export function lineItemsMixin(entity: EntityDefinition): Partial<ServiceSchema> {
	return {
		methods: {
			/** Priced stored lines for `inputs` in `currency`; 400 naming every bad line field. */
			async priceItems(
				ctx: RestContext,
				inputs: LineInput[],
				currency: string,
			): Promise<StoredLine[]> {
				if (!Array.isArray(inputs) || inputs.length === 0)
					throw validationError([
						{ field: "items", message: "must hold at least one line" },
					]);
				const ids = [...new Set(inputs.map((l) => l.product_id).filter(Boolean))];
				const found: PricedProduct[] = ids.length
					? await ctx.call("products.findMany", { field: "id", values: ids })
					: [];
				const details: ErrorDetail[] = [];
				const lines = priceLines(
					inputs,
					new Map(found.map((p) => [p.id, p])),
					currency,
					details,
				);
				if (details.length) throw validationError(details);

				return lines;
			},

			/**
			 * Reprices `changes.items` when given and recomputes the totals from the merged record.
			 * `current` is absent on create.
			 */
			async withTotals(ctx: RestContext, changes: Body, current?: StoredDoc): Promise<Body> {
				const currency = (changes.currency ?? current?.currency ?? "USD") as string;
				if (changes.items !== undefined)
					changes.items = await this.priceItems(
						ctx,
						changes.items as LineInput[],
						currency,
					);
				const touched =
					changes.items !== undefined ||
					AMOUNT_FIELDS.some((f) => changes[f] !== undefined);
				if (!touched) return changes;
				const merged = { ...current, ...changes };
				const totals = documentTotals(merged.items as StoredLine[], merged as Amounts);
				if (!isExactMinor(totals.subtotal) || !isExactMinor(totals.total_amount))
					throw validationError([
						{
							field: "items",
							message:
								`make the total larger than ${maxExactMajor(currency)} ` +
								`${currency}`,
						},
					]);
				if (totals.total_amount < 0)
					throw validationError([
						{
							field: "discount_amount",
							message: "is larger than the lines plus tax and shipping",
						},
					]);

				return { ...changes, ...totals };
			},

			/** Lines and amounts are what the customer agreed to: they change only in a draft. */
			guardPricedChanges(changes: Body, current: StoredDoc): void {
				const priced = PRICED_FIELDS.filter((f) => changes[f] !== undefined);
				if (priced.length && current.status !== "draft")
					throw conflict(`Only a draft ${entity.name}'s lines and amounts can change`, [
						{
							field: priced[0],
							message: `cannot change once the ${entity.name} is ${current.status}`,
						},
					]);
			},

			toOutput(doc: StoredDoc, fields?: string[]): Output {
				const out = toOutput(entity, doc);
				const currency = (doc.currency as string) ?? "USD";
				if (Array.isArray(doc.items))
					out.items = (doc.items as StoredLine[]).map((l) => lineOutput(l, currency));
				return project(out, fields);
			},
		},
	};
}
