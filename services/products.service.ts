/**
 * The product catalogue: sku unique per organization, price in the product's currency, stock.
 * Orders, quotes and invoices copy a product's sku, name and price into their lines, so a
 * product may change or go away without rewriting the sales record. Streamed bulk import
 * (upsert by sku) and export come from the bulk-io mixin.
 */
import type { ServiceSchema } from "moleculer";
import { bulkIoMixin } from "../mixins/bulk-io.mixin";
import { bulkMixin } from "../mixins/bulk.mixin";
import { graphqlMixin } from "../mixins/graphql.mixin";
import { resourceMixin } from "../mixins/resource.mixin";
import { Product } from "../models/product";
import { PRODUCT_GRAPHQL } from "./graphql/support";

const ProductsService: ServiceSchema = {
	name: "products",
	mixins: [
		resourceMixin({ entity: Product }),
		bulkIoMixin({ entity: Product, key: "sku", scope: "products" }),
		// Item-by-item bulk writes for GraphQL (`bulkCreateProducts`); REST imports files instead.
		bulkMixin("products"),
		graphqlMixin(Product, PRODUCT_GRAPHQL),
	],
};

export default ProductsService;
