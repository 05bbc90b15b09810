/** Customers: the organization's accounts, with their contacts and interactions as children. */
import type { ServiceSchema } from "moleculer";
import { bulkMixin } from "../mixins/bulk.mixin";
import { graphqlMixin } from "../mixins/graphql.mixin";
import { resourceMixin } from "../mixins/resource.mixin";
import type { RestContext } from "../models/context";
import { Customer } from "../models/customer";
import type { StoredDoc } from "../mixins/db.mixin";

const CustomersService: ServiceSchema = {
	name: "customers",
	mixins: [
		resourceMixin({ entity: Customer }),
		bulkMixin("customers"),
		graphqlMixin(Customer, { bulk: true, search: true }),
	],

	methods: {
		/**
		 * A customer's contacts and interactions go with it; its orders and invoices stay (ledger).
		 */
		async beforeRemove(ctx: RestContext, current: StoredDoc): Promise<void> {
			await Promise.all(
				["customer-contacts", "customer-interactions"].map((service) =>
					ctx.call(`${service}.removeByParent`, { parent_id: current._id }),
				),
			);
		},
	},
};

export default CustomersService;
