/** The people to talk to at a customer (`…/customers/{customer_id}/contacts`). */
import type { ServiceSchema } from "moleculer";
import { childResourceMixin } from "../mixins/child-resource.mixin";
import type { StoredDoc } from "../mixins/db.mixin";
import { graphqlMixin } from "../mixins/graphql.mixin";
import type { Body } from "../mixins/resource/body";
import type { RestContext } from "../models/context";
import { Customer, CustomerContact } from "../models/customer";

const CustomerContactsService: ServiceSchema = {
	name: "customer-contacts",
	mixins: [
		childResourceMixin({ entity: CustomerContact, scope: "customers" }),
		graphqlMixin(CustomerContact, {
			scope: "customers",
			parents: { customer_id: { entity: Customer } },
		}),
	],

	methods: {
		async beforeCreate(ctx: RestContext, doc: Body): Promise<Body> {
			if (doc.is_primary === true) await this.demotePrimary(ctx, doc.customer_id as string);

			return doc;
		},

		async beforeUpdate(ctx: RestContext, changes: Body, current: StoredDoc): Promise<Body> {
			if (changes.is_primary === true && !current.is_primary)
				await this.demotePrimary(ctx, current.customer_id as string);

			return changes;
		},

		/**
		 * A customer has one primary contact: making another primary makes the current one an
		 * ordinary contact (an update of its own, with its event).
		 */
		async demotePrimary(ctx: RestContext, customerId: string): Promise<void> {
			const primaries: StoredDoc[] = await this.storeFind({
				organization_id: this.orgOf(ctx),
				customer_id: customerId,
				is_primary: true,
			});
			for (const contact of primaries)
				await this.applyChanges(ctx, contact, { is_primary: false });
		},
	},
};

export default CustomerContactsService;
