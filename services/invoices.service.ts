/**
 * Invoices, made directly or from an order (its lines and amounts are copied). `send` posts the
 * receivable to the journal; payments reduce `amount_due` and mark the invoice paid once it is
 * covered; the scheduler marks sent invoices past `due_date` overdue (`invoice.overdue`).
 */
import type { Context, ServiceSchema } from "moleculer";
import type { StoredDoc } from "../mixins/db.mixin";
import { lineItemsMixin } from "../mixins/line-items.mixin";
import type { Body } from "../mixins/resource/body";
import type { Output } from "../mixins/resource/view";
import { scheduleMixin } from "../mixins/schedule.mixin";
import { workflowMixin } from "../mixins/workflow.mixin";
import type { Meta, RestContext } from "../models/context";
import { isoDay } from "../models/dates";
import { ApiError, conflict, notFound, validationError } from "../models/errors";
import { Invoice, INVOICE_MACHINE } from "../models/finance";
import { documentNumber, type LineInput } from "../models/line-items";
import { toMajor, toMinor } from "../models/money";
import type { Posting } from "./journal-entries.service";
import { graphqlMixin } from "../mixins/graphql.mixin";
import { INVOICE_GRAPHQL } from "./graphql/finance";

const PAYMENT_RETRIES = 5;
/** Order states that may be billed: confirmed or later, not draft and not cancelled. */
const INVOICEABLE_ORDER = new Set(["confirmed", "processing", "shipped", "delivered"]);

const InvoicesService: ServiceSchema = {
	name: "invoices",
	mixins: [
		lineItemsMixin(Invoice),
		workflowMixin({
			entity: Invoice,
			machine: INVOICE_MACHINE,
			indexes: ["status"],
			steps: {
				send: { to: "sent", changes: () => ({ sent_at: new Date().toISOString() }) },
				void: { to: "void", changes: () => ({ voided_at: new Date().toISOString() }) },
			},
		}),
		scheduleMixin("markOverdueDue"),
		graphqlMixin(Invoice, INVOICE_GRAPHQL),
	],

	actions: {
		remove: false,

		/** Marks a sent invoice overdue (the scheduler, as the system actor). */
		markOverdue: {
			visibility: "public",
			handler(ctx: RestContext): Promise<Output> {
				return this.transition(ctx, ctx.params.params?.id, "overdue");
			},
		},

		/** Applies a completed payment (minor units); the invoice is paid once nothing is due. */
		applyPayment: {
			visibility: "public",
			params: { id: "string", amount: { type: "number", integer: true, min: 1 } },
			async handler(ctx: Context<{ id: string; amount: number }, Meta>): Promise<Output> {
				const rest = ctx as unknown as RestContext;
				for (let attempt = 1; ; attempt++) {
					const invoice: StoredDoc = await this.loadScoped(rest, ctx.params.id);
					this.checkPayable(invoice, ctx.params.amount);
					const due = (invoice.amount_due as number) - ctx.params.amount;
					const changes: Body = {
						amount_paid: (invoice.amount_paid as number) + ctx.params.amount,
						amount_due: due,
					};
					if (due === 0)
						Object.assign(changes, {
							status: "paid",
							paid_at: new Date().toISOString(),
						});
					try {
						return await this.applyChanges(rest, invoice, changes);
					} catch (err) {
						// Another payment landed first: reload and apply on top of it.
						if ((err as ApiError).type !== "CONFLICT" || attempt >= PAYMENT_RETRIES)
							throw err;
					}
				}
			},
		},

		/** Whether `amount` (minor units) may be paid on the invoice now; 409/400 when not. */
		checkPayment: {
			visibility: "public",
			params: { id: "string", amount: "number" },
			async handler(ctx: Context<{ id: string; amount: number }, Meta>): Promise<Output> {
				const invoice: StoredDoc = await this.loadScoped(ctx, ctx.params.id);
				this.checkPayable(invoice, ctx.params.amount);

				return this.toOutput(invoice);
			},
		},
	},

	methods: {
		async beforeCreate(ctx: RestContext, doc: Body): Promise<Body> {
			const order: Output | undefined = doc.order_id
				? await this.invoiceableOrder(ctx, doc.order_id as string)
				: undefined;
			const fromOrder = order ? this.orderDefaults(order, doc) : {};
			const merged = { ...doc, ...fromOrder };
			if (!merged.customer_id)
				throw validationError([
					{ field: "customer_id", message: "is required unless order_id is given" },
				]);
			if (!merged.items)
				throw validationError([
					{ field: "items", message: "is required unless order_id is given" },
				]);
			merged.issue_date ??= isoDay();
			merged.due_date ??= isoDay(30);
			merged.invoice_number ??= documentNumber("INV", merged.issue_date as string);
			const priced = await this.withTotals(ctx, merged);
			if (order) await this.checkOrderCap(order, priced);

			return { ...priced, amount_paid: 0, amount_due: priced.total_amount };
		},

		async beforeUpdate(ctx: RestContext, changes: Body, current: StoredDoc): Promise<Body> {
			this.guardPricedChanges(changes, current);
			const priced: Body = await this.withTotals(ctx, changes, current);
			if (priced.total_amount !== undefined)
				priced.amount_due =
					(priced.total_amount as number) - (current.amount_paid as number);

			return priced;
		},

		/** The order to invoice, refused unless it is confirmed or later and not cancelled. */
		async invoiceableOrder(ctx: RestContext, orderId: string): Promise<Output> {
			const [order]: Output[] = await ctx.call("orders.findMany", {
				field: "id",
				values: [orderId],
			});
			if (!order) throw notFound("order");
			if (!INVOICEABLE_ORDER.has(order.status as string))
				throw new ApiError(
					"INVALID_STATE_TRANSITION",
					`A ${order.status} order cannot be invoiced`,
					{
						details: [
							{ field: "order_id", message: `is ${order.status}`, value: orderId },
						],
					},
				);

			return order;
		},

		/** An order's customer, currency, lines and amounts, for what the body leaves out. */
		orderDefaults(order: Output, doc: Body): Body {
			if (doc.customer_id && doc.customer_id !== order.customer_id)
				throw validationError([
					{
						field: "customer_id",
						message: "differs from the order's customer",
						value: doc.customer_id,
					},
				]);
			const given = (field: string) => doc[field] !== null && doc[field] !== 0;
			const items = (order.items as Array<Record<string, unknown>>).map(
				(l) =>
					({
						product_id: l.product_id,
						quantity: l.quantity,
						unit_price: l.unit_price,
						discount: l.discount,
					}) as LineInput,
			);

			return {
				customer_id: order.customer_id,
				currency: order.currency,
				items: doc.items ?? items,
				...Object.fromEntries(
					["tax_amount", "shipping_amount", "discount_amount"]
						.filter((f) => !given(f))
						.map((f) => [f, toMinor(order[f] as number, order.currency as string)]),
				),
			};
		},

		createLockKeys(doc: Body): string[] {
			return doc.order_id ? [`invoiced-order:${doc.order_id}`] : [];
		},

		/**
		 * An order is billed at most its total: its invoices that are not void, with the new one,
		 * must not exceed it (partial invoices are allowed up to that).
		 */
		async checkOrderCap(order: Output, invoice: Body): Promise<void> {
			const billed: StoredDoc[] = await this.storeFind({
				organization_id: order.organization_id,
				order_id: order.id,
				status: { $ne: "void" },
			});
			const currency = order.currency as string;
			// The order's total was stored in minor units, so it converts back exactly.
			const total = toMinor(order.total_amount as number, currency) ?? 0;
			const sum = billed.reduce((n, i) => n + (i.total_amount as number), 0);
			if (sum + (invoice.total_amount as number) <= total) return;
			throw conflict(
				sum >= total
					? "The order is already invoiced in full; void an invoice of it first"
					: "The invoice would bill more than what remains of the order's total",
				[
					{
						field: "order_id",
						message: `has ${toMajor(total - sum, currency)} left to invoice`,
						value: order.id,
					},
				],
			);
		},

		checkPayable(invoice: StoredDoc, amount: number): void {
			if (invoice.status !== "sent" && invoice.status !== "overdue")
				throw new ApiError(
					"INVALID_STATE_TRANSITION",
					`A ${invoice.status} invoice takes no payments`,
					{
						details: [
							{
								field: "invoice_id",
								message: `is ${invoice.status}`,
								value: invoice._id,
							},
						],
					},
				);
			if (amount > (invoice.amount_due as number))
				throw validationError([
					{ field: "amount", message: "is more than the invoice's amount due" },
				]);
		},

		async beforeTransition(_ctx: RestContext, current: StoredDoc, to: string): Promise<void> {
			if (to === "void" && (current.amount_paid as number) > 0)
				throw conflict("A partly paid invoice cannot be voided; refund its payments first");
		},

		/** Sending posts the receivable; voiding reverses it (contract: journal entries). */
		async afterStateChange(
			ctx: RestContext,
			_from: string,
			out: Output,
			previous: StoredDoc,
		): Promise<void> {
			const to = out.status as string;
			if (to !== "sent" && to !== "void") return;
			const total = previous.total_amount as number;
			const tax = (previous.tax_amount as number) ?? 0;
			const sign = to === "sent" ? 1 : -1;
			const side = (amount: number, debit: boolean) =>
				sign > 0 === debit ? { debit: amount } : { credit: amount };
			const posting: Posting = {
				reference: `invoice:${out.id}:${to}`,
				source_type: "invoice",
				source_id: out.id,
				description: `Invoice ${out.invoice_number} ${to}`,
				currency: out.currency as string,
				lines: [
					{ account_code: "1100", ...side(total, true) },
					{ account_code: "4000", ...side(total - tax, false) },
					{ account_code: "2200", ...side(tax, false) },
				],
			};
			if (total > 0) await ctx.call("journal-entries.post", posting);
		},

		/** Sent invoices past `due_date`, in every organization, a batch per run. */
		async markOverdueDue(): Promise<void> {
			const due: StoredDoc[] = await this.storeFind(
				{ status: "sent", due_date: { $lt: isoDay() } },
				{ limit: 1000 },
			);
			for (const invoice of due) await this.runAsSystem("invoices.markOverdue", invoice);
		},
	},
};

export default InvoicesService;
