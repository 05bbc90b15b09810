/**
 * The gateway's shapes, written once from its entity descriptions (`models/` of the gateway;
 * `/openapi.json` lists every field). Fields are snake_case as on the wire; money is in major
 * units beside a `currency`.
 */

export interface Meta {
	timestamp: string;
	version: string;
	request_id: string | null;
}

export interface Pagination {
	page: number | null;
	limit: number;
	total: number;
	pages: number;
	has_next: boolean;
	has_prev: boolean;
	next_cursor: string | null;
	prev_cursor: string | null;
}

export interface Envelope<T> {
	success: boolean;
	data: T;
	pagination?: Pagination;
	error?: {
		code: string;
		message: string;
		details: { field: string; message: string; value?: unknown }[];
	};
	meta: Meta;
}

/** What every resource has. */
export interface Resource {
	id: string;
	organization_id: string;
	version: number;
	created_at: string;
	updated_at: string;
}

export type Metadata = Record<string, unknown>;

export type CustomerSegment = "enterprise" | "mid_market" | "smb" | "startup" | "individual";
export type CustomerStatus = "active" | "inactive" | "prospect" | "churned" | "suspended";

export interface CustomerCreate {
	name: string;
	segment: CustomerSegment;
	email?: string;
	phone?: string;
	company?: string;
	status?: CustomerStatus;
	currency?: string;
	external_id?: string;
	address?: Record<string, unknown>;
	metadata?: Metadata;
}

export interface Customer extends Resource, CustomerCreate {
	status: CustomerStatus;
	lifetime_value: number;
}

export interface ContactCreate {
	name: string;
	email?: string;
	phone?: string;
	title?: string;
	is_primary?: boolean;
	is_active?: boolean;
	metadata?: Metadata;
}

export interface Contact extends Resource, ContactCreate {
	customer_id: string;
}

export type OrderStatus =
	"draft" | "confirmed" | "processing" | "shipped" | "delivered" | "cancelled";

export interface LineItemInput {
	product_id?: string;
	description?: string;
	quantity: number;
	unit_price?: number;
	discount?: number;
}

/** A line as the gateway answers it: the product's sku and name copied, its total computed. */
export interface OrderLine {
	product_id: string | null;
	sku: string | null;
	name: string;
	quantity: number;
	unit_price: number;
	discount: number;
	total: number;
}

export interface OrderCreate {
	customer_id: string;
	/** Every order line names a product (its price is the default `unit_price`). */
	items: (LineItemInput & { product_id: string })[];
	currency?: string;
	external_id?: string;
	tax_amount?: number;
	shipping_amount?: number;
	discount_amount?: number;
	order_date?: string;
	requested_delivery_date?: string;
	shipping_address?: Record<string, unknown>;
	notes?: string;
	metadata?: Metadata;
}

export interface Order extends Resource, Omit<OrderCreate, "items"> {
	order_number: string;
	status: OrderStatus;
	items: OrderLine[];
	subtotal: number;
	total_amount: number;
	carrier?: string;
	tracking_number?: string;
	shipped_at?: string;
	delivered_at?: string;
	cancelled_at?: string;
	cancellation_reason?: string;
}

export interface ProductCreate {
	sku: string;
	name: string;
	price: number;
	currency?: string;
	description?: string;
	category?: string;
	unit?: string;
	stock?: number;
	is_active?: boolean;
	metadata?: Metadata;
}

export interface Product extends Resource, ProductCreate {}

export interface WebhookCreate {
	url: string;
	events: string[];
	secret?: string;
	is_active?: boolean;
	retry_config?: { max_retries?: number; retry_delay?: number; backoff_multiplier?: number };
}

export interface Webhook extends Resource, Omit<WebhookCreate, "secret"> {
	/** Only in the answer to a create or a rotation. */
	secret?: string;
}

/** A resource this SDK has no dedicated type for: every field as the gateway sends it. */
export type AnyResource = Resource & Record<string, unknown>;

/** An entry of the event log, a webhook body and a socket event: the same envelope. */
export interface MantisEvent<T = Record<string, unknown>> {
	id: string;
	type: string;
	organization_id: string;
	created_at: string;
	request_id: string | null;
	actor: { type: "user" | "api_key" | "oauth_client" | "system"; id: string | null };
	data: { object: T; previous_attributes?: Partial<T> };
}

export interface Deleted {
	id: string;
	deleted: true;
}

/** List parameters: paging, sort, projection and any declared filter (`segment_in`, `q` …). */
export interface ListParams {
	limit?: number;
	page?: number;
	cursor?: string;
	/** `created_at:desc,name:asc` */
	sort?: string;
	fields?: string[];
	include?: string[];
	q?: string;
	[filter: string]: string | number | boolean | string[] | undefined;
}
