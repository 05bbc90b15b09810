/**
 * Quotes: priced offers to a customer (`send`, `accept`, `reject`), turned into an order by
 * `convert` once accepted. Sent quotes past `valid_until` are expired by the scheduler.
 */
import type { ServiceSchema } from "moleculer";
import type { StoredDoc } from "../mixins/db.mixin";
import { lineItemsMixin } from "../mixins/line-items.mixin";
import { actionBody } from "../mixins/resource/action-body";
import type { Body } from "../mixins/resource/body";
import type { Output } from "../mixins/resource/view";
import { scheduleMixin } from "../mixins/schedule.mixin";
import { workflowMixin } from "../mixins/workflow.mixin";
import type { RestContext } from "../models/context";
import { isoDay } from "../models/dates";
import { ApiError, conflict } from "../models/errors";
import { documentNumber, lineInputs, type StoredLine } from "../models/line-items";
import { toMajor } from "../models/money";
import { Quote, QUOTE_MACHINE } from "../models/sales";
import { graphqlMixin } from "../mixins/graphql.mixin";
import { QUOTE_GRAPHQL } from "./graphql/sales";

const VALIDITY_DAYS = 30;
const emptyBody = actionBody({});
const rejectBody = actionBody<{ reason?: string }>({
	reason: { type: "string", min: 1, max: 1000, optional: true },
});

const QuotesService: ServiceSchema = {
	name: "quotes",
	mixins: [
		lineItemsMixin(Quote),
		workflowMixin({
			entity: Quote,
			machine: QUOTE_MACHINE,
			indexes: ["status"],
			steps: {
				send: { to: "sent", changes: () => ({ sent_at: new Date().toISOString() }) },
				accept: {
					to: "accepted",
					changes: () => ({ decided_at: new Date().toISOString() }),
				},
				reject: {
					to: "rejected",
					body: rejectBody,
					changes: (b: { reason?: string }) => ({
						decided_at: new Date().toISOString(),
						rejection_reason: b.reason ?? null,
					}),
				},
			},
		}),
		scheduleMixin("expireDue"),
		graphqlMixin(Quote, QUOTE_GRAPHQL),
	],

	actions: {
		/** An accepted quote becomes a draft order with the same lines and amounts, once. */
		convert: {
			scope: "quotes:write",
			async handler(ctx: RestContext): Promise<Output> {
				emptyBody(ctx.params.body);
				const quote: StoredDoc = await this.loadScoped(ctx, ctx.params.params?.id);
				this.checkIfMatch(ctx, quote);
				if (quote.status !== "accepted")
					throw new ApiError(
						"INVALID_STATE_TRANSITION",
						`A ${quote.status} quote cannot be converted; it must be accepted`,
						{
							details: [
								{
									field: "status",
									message: "must be accepted",
									value: quote.status,
								},
							],
						},
					);
				if (quote.order_id || this.isClaimed(quote))
					throw conflict("The quote was already converted", [
						{ field: "order_id", message: "is already set", value: quote.order_id },
					]);

				// Claimed before the order is made: a concurrent convert loses with nothing made.
				return this.applyOnce(ctx, quote, {}, async () => {
					const order: Output = await ctx.call("orders.create", {
						body: this.orderOf(quote),
					});

					return { order_id: order.id };
				});
			},
		},

		/** Marks a sent quote expired (the scheduler, as the system actor). */
		expire: {
			visibility: "public",
			handler(ctx: RestContext): Promise<Output> {
				return this.transition(ctx, ctx.params.params?.id, "expired");
			},
		},
	},

	methods: {
		/** Sent quotes past `valid_until`, in every organization, a batch per run. */
		async expireDue(): Promise<void> {
			const due: StoredDoc[] = await this.storeFind(
				{ status: "sent", valid_until: { $lt: isoDay() } },
				{ limit: 1000 },
			);
			for (const quote of due) await this.runAsSystem("quotes.expire", quote);
		},

		async beforeCreate(ctx: RestContext, doc: Body): Promise<Body> {
			doc.valid_until ??= isoDay(VALIDITY_DAYS);
			doc.quote_number ??= documentNumber("Q", isoDay());

			return this.withTotals(ctx, doc);
		},

		async beforeUpdate(ctx: RestContext, changes: Body, current: StoredDoc): Promise<Body> {
			this.guardPricedChanges(changes, current);

			return this.withTotals(ctx, changes, current);
		},

		async beforeRemove(_ctx: RestContext, current: StoredDoc): Promise<void> {
			if (current.status !== "draft")
				throw conflict(`A ${current.status} quote was seen by the customer; it stays`);
		},

		async beforeTransition(_ctx: RestContext, current: StoredDoc, to: string): Promise<void> {
			if (to === "accepted" && (current.valid_until as string) < isoDay())
				throw new ApiError(
					"INVALID_STATE_TRANSITION",
					"The quote is past its valid_until",
					{
						details: [
							{
								field: "valid_until",
								message: "has passed",
								value: current.valid_until,
							},
						],
					},
				);
		},

		orderOf(quote: StoredDoc): Body {
			const currency = quote.currency as string;
			const amount = (field: string) => toMajor((quote[field] as number) ?? 0, currency);

			return {
				customer_id: quote.customer_id,
				quote_id: quote._id,
				currency,
				items: lineInputs(quote.items as StoredLine[], currency),
				tax_amount: amount("tax_amount"),
				shipping_amount: amount("shipping_amount"),
				discount_amount: amount("discount_amount"),
				...(quote.notes ? { notes: quote.notes } : {}),
			};
		},
	},
};

export default QuotesService;
