/**
 * Payments against invoices: created pending, then `complete` (applied to the invoice, posted
 * to the journal: cash debited, receivable credited) or `fail` (`payment.failed`, which the
 * organization's admins are notified of).
 */
import type { ServiceSchema } from "moleculer";
import type { StoredDoc } from "../mixins/db.mixin";
import { actionBody } from "../mixins/resource/action-body";
import type { Body } from "../mixins/resource/body";
import type { Output } from "../mixins/resource/view";
import { workflowMixin } from "../mixins/workflow.mixin";
import type { RestContext } from "../models/context";
import { validationError } from "../models/errors";
import { Payment, PAYMENT_MACHINE } from "../models/finance";
import { minorDigits, toMinor } from "../models/money";
import type { Posting } from "./journal-entries.service";
import { graphqlMixin } from "../mixins/graphql.mixin";
import { PAYMENT_GRAPHQL } from "./graphql/finance";

const failBody = actionBody<{ reason?: string }>({
	reason: { type: "string", min: 1, max: 1000, optional: true },
});

const PaymentsService: ServiceSchema = {
	name: "payments",
	mixins: [
		workflowMixin({
			entity: Payment,
			machine: PAYMENT_MACHINE,
			steps: {
				complete: {
					to: "completed",
					changes: () => ({ completed_at: new Date().toISOString() }),
				},
				fail: {
					to: "failed",
					body: failBody,
					changes: (b: { reason?: string }) => ({
						failed_at: new Date().toISOString(),
						failure_reason: b.reason ?? null,
					}),
				},
			},
		}),
		graphqlMixin(Payment, PAYMENT_GRAPHQL),
	],

	actions: {
		remove: false,
	},

	methods: {
		/**
		 * A payment is in its invoice's currency (given or not) and at most what is due; the
		 * amount was read in the body's currency, so it is read again in the invoice's.
		 */
		async beforeCreate(ctx: RestContext, doc: Body): Promise<Body> {
			const raw = ctx.params.body as Body;
			const invoice: Output = await ctx.call("invoices.checkPayment", {
				id: doc.invoice_id,
				amount: 0,
			});
			const currency = invoice.currency as string;
			if (raw.currency !== undefined && raw.currency !== currency)
				throw validationError([
					{
						field: "currency",
						message: `must be the invoice's (${currency})`,
						value: raw.currency,
					},
				]);
			const amount = toMinor(raw.amount as number, currency);
			if (amount === undefined || amount <= 0)
				throw validationError([
					{
						field: "amount",
						message: `must be positive with at most ${minorDigits(currency)} decimals`,
						value: raw.amount,
					},
				]);
			await ctx.call("invoices.checkPayment", { id: doc.invoice_id, amount });

			return { ...doc, currency, amount, customer_id: invoice.customer_id };
		},

		async beforeTransition(ctx: RestContext, current: StoredDoc, to: string): Promise<void> {
			if (to === "completed")
				await ctx.call("invoices.checkPayment", {
					id: current.invoice_id,
					amount: current.amount,
				});
		},

		async afterStateChange(
			ctx: RestContext,
			_from: string,
			out: Output,
			previous: StoredDoc,
		): Promise<void> {
			if (out.status !== "completed") return;
			const amount = previous.amount as number;
			await ctx.call("invoices.applyPayment", { id: previous.invoice_id, amount });
			const posting: Posting = {
				reference: `payment:${out.id}:completed`,
				source_type: "payment",
				source_id: out.id,
				description: `Payment ${out.id} completed`,
				currency: out.currency as string,
				lines: [
					{ account_code: "1000", debit: amount },
					{ account_code: "1100", credit: amount },
				],
			};
			await ctx.call("journal-entries.post", posting);
		},
	},
};

export default PaymentsService;
