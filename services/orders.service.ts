/**
 * Sales orders: priced lines from the catalogue, totals in integer minor units, and the status
 * machine of the contract (`…/orders/{id}/confirm|process|ship|deliver|cancel`). An order counts
 * as a sale from confirmation until it is cancelled; the analytics rollups follow it.
 */
import type { Context, ServiceSchema } from "moleculer";
import { bulkMixin } from "../mixins/bulk.mixin";
import type { StoredDoc } from "../mixins/db.mixin";
import { lineItemsMixin } from "../mixins/line-items.mixin";
import { actionBody } from "../mixins/resource/action-body";
import type { Body } from "../mixins/resource/body";
import type { Output } from "../mixins/resource/view";
import { workflowMixin } from "../mixins/workflow.mixin";
import type { Meta, RestContext } from "../models/context";
import { isoDay } from "../models/dates";
import { conflict, notFound } from "../models/errors";
import { documentNumber } from "../models/line-items";
import { COUNTED_ORDER_STATUSES, Order, ORDER_MACHINE, type OrderStatus } from "../models/order";
import type { Page } from "../mixins/resource.mixin";
import { graphqlMixin } from "../mixins/graphql.mixin";
import { ORDER_GRAPHQL } from "./graphql/sales";

const DATE = { type: "string", pattern: /^\d{4}-\d{2}-\d{2}$/, optional: true } as const;
const DATETIME = { type: "date", convert: true, optional: true } as const;

interface ShipBody {
	carrier: string;
	tracking_number?: string;
	shipped_at?: Date;
}
interface DeliverBody {
	delivered_at?: Date;
	actual_delivery_date?: string;
}

const shipBody = actionBody<ShipBody>({
	carrier: { type: "string", min: 1, max: 100 },
	tracking_number: { type: "string", min: 1, max: 100, optional: true },
	shipped_at: DATETIME,
});
const deliverBody = actionBody<DeliverBody>({
	delivered_at: DATETIME,
	actual_delivery_date: DATE,
});
const cancelBody = actionBody<{ reason: string }>({
	reason: { type: "string", min: 1, max: 1000 },
});

function counted(status: string): boolean {
	return COUNTED_ORDER_STATUSES.includes(status as OrderStatus);
}

const OrdersService: ServiceSchema = {
	name: "orders",
	// Earlier mixins win on a name clash: the line-items `toOutput` over the resource one.
	mixins: [
		lineItemsMixin(Order),
		workflowMixin({
			entity: Order,
			machine: ORDER_MACHINE,
			indexes: ["order_date"],
			steps: {
				confirm: { to: "confirmed" },
				process: { to: "processing" },
				ship: {
					to: "shipped",
					body: shipBody,
					changes: (b: ShipBody) => ({
						carrier: b.carrier,
						tracking_number: b.tracking_number ?? null,
						shipped_at: (b.shipped_at ?? new Date()).toISOString(),
					}),
				},
				deliver: {
					to: "delivered",
					body: deliverBody,
					changes: (b: DeliverBody) => {
						const at = (b.delivered_at ?? new Date()).toISOString();

						return {
							delivered_at: at,
							actual_delivery_date: b.actual_delivery_date ?? at.slice(0, 10),
						};
					},
				},
				cancel: {
					to: "cancelled",
					body: cancelBody,
					changes: (b: { reason: string }) => ({
						cancellation_reason: b.reason,
						cancelled_at: new Date().toISOString(),
					}),
				},
			},
		}),
		bulkMixin("orders"),
		graphqlMixin(Order, ORDER_GRAPHQL),
	],

	actions: {
		/** `GET …/customers/{customer_id}/orders`: the order list narrowed to one customer. */
		listForCustomer: {
			scope: "orders:read",
			async handler(ctx: RestContext): Promise<Page> {
				const customerId = ctx.params.params?.customer_id;
				const found: Output[] = await ctx.call("customers.findMany", {
					field: "id",
					values: [customerId],
				});
				if (found.length === 0) throw notFound("customer");
				ctx.params.query = { ...ctx.params.query, customer_id: customerId };

				return this.listResources(ctx);
			},
		},

		/** Stored orders (minor units) of the caller's organization, for the analytics rebuild. */
		storedBatch: {
			visibility: "public",
			params: { after_id: { type: "string", optional: true }, limit: "number" },
			handler(
				ctx: Context<{ after_id?: string; limit: number }, Meta>,
			): Promise<StoredDoc[]> {
				const query: Body = { organization_id: this.orgOf(ctx) };
				if (ctx.params.after_id) query._id = { $gt: ctx.params.after_id };

				return this.storeFind(query, { sort: [["_id", 1]], limit: ctx.params.limit });
			},
		},
	},

	methods: {
		async beforeCreate(ctx: RestContext, doc: Body): Promise<Body> {
			doc.order_date ??= isoDay();
			doc.order_number ??= documentNumber("SO", doc.order_date as string);

			return this.withTotals(ctx, doc);
		},

		async beforeUpdate(ctx: RestContext, changes: Body, current: StoredDoc): Promise<Body> {
			this.guardPricedChanges(changes, current);

			return this.withTotals(ctx, changes, current);
		},

		async beforeRemove(_ctx: RestContext, current: StoredDoc): Promise<void> {
			if (current.status !== "draft" && current.status !== "cancelled")
				throw conflict(
					`A ${current.status} order is part of the sales record; cancel it instead`,
				);
		},

		/** Keeps the sales rollups in step: an order enters them on confirm, leaves on cancel. */
		async afterStateChange(
			ctx: RestContext,
			from: string,
			out: Output,
			previous: StoredDoc,
		): Promise<void> {
			const to = out.status as string;
			if (counted(from) === counted(to)) return;
			const sign = counted(to) ? 1 : -1;
			const lastOrderDate = sign < 0 ? await this.lastCountedDate(previous) : undefined;
			await ctx.call("analytics.recordOrder", {
				order: previous,
				sign,
				last_order_date: lastOrderDate,
			});
		},

		/** The latest order date among the customer's counted orders in that currency, or null. */
		async lastCountedDate(order: StoredDoc): Promise<string | null> {
			const [latest] = await this.storeFind(
				{
					organization_id: order.organization_id,
					customer_id: order.customer_id,
					currency: order.currency,
					status: { $in: COUNTED_ORDER_STATUSES },
				},
				{ sort: [["order_date", -1]], limit: 1 },
			);

			return (latest?.order_date as string | undefined) ?? null;
		},
	},
};

export default OrdersService;
