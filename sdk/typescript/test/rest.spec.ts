/**
 * The built TypeScript SDK against a real gateway: typed resources, pages followed to the end,
 * a 429 waited out for its Retry-After, a create whose answer was lost retried into one record,
 * errors of the right class with the envelope's fields.
 */
import {
	AuthenticationError,
	InvalidStateTransitionError,
	type MantisOptions,
	NotFoundError,
	PreconditionFailedError,
	RateLimitedError,
	type RetryInfo,
	ValidationError,
} from "../dist";
import { organizationGateway, type OrganizationGateway } from "../../../test/helpers/gateway";
import { createKey } from "../../../test/helpers/sockets";
import { rejectionOf, sdkFor } from "./helpers";
import { type Proxy, startProxy } from "./proxy";

let gw: OrganizationGateway;
let proxy: Proxy;

beforeAll(async () => {
	gw = await organizationGateway("SDK REST");
	proxy = await startProxy(gw.node.url);
});

afterAll(async () => {
	await proxy?.close();
	await gw?.node.stop();
});

const sdk = (options: Partial<MantisOptions> = {}) => sdkFor(gw, options);

describe("resources", () => {
	test("create, get, update and list answer the typed resource the gateway stored", async () => {
		const mantis = sdk();
		const created = await mantis.customers.create({
			name: "Acme Corporation",
			email: "contact@acme.test",
			segment: "enterprise",
		});
		const fetched = await mantis.customers.get(created.id);
		const updated = await mantis.customers.update(created.id, { company: "Acme Holdings" });
		const listed = await mantis.customers.list({ q: "Acme Corporation" });

		expect(created).toMatchObject({ name: "Acme Corporation", segment: "enterprise" });
		expect(created.organization_id).toBe(gw.owner.organization_id);
		expect(fetched).toEqual(created);
		expect(updated.company).toBe("Acme Holdings");
		expect(updated.version).toBeGreaterThan(created.version);
		expect(listed.data.map((c) => c.id)).toEqual([created.id]);
	});

	test("an update under a stale version is PreconditionFailedError", async () => {
		const mantis = sdk();
		const customer = await mantis.customers.create({ name: "Versioned", segment: "smb" });
		await mantis.customers.update(customer.id, { phone: "+1 555 0100" });
		const error = await rejectionOf(
			mantis.customers.update(
				customer.id,
				{ phone: "+1 555 0199" },
				{
					ifVersion: customer.version,
				},
			),
		);

		expect(error).toBeInstanceOf(PreconditionFailedError);
		expect(error).toMatchObject({ status: 412, code: "PRECONDITION_FAILED" });
	});
});

describe("pagination", () => {
	test("for await walks every page by cursor, each customer once, filters kept", async () => {
		const mantis = sdk();
		const created = await mantis.customers.bulkCreate(
			Array.from({ length: 7 }, (_, i) => ({
				name: `Paged ${i}`,
				segment: "startup" as const,
			})),
		);
		await mantis.customers.create({ name: "Not a startup", segment: "enterprise" });
		const seen: string[] = [];
		for await (const customer of mantis.customers.list({ segment: "startup", limit: 3 }))
			seen.push(customer.id);
		const pages = [];
		for await (const page of mantis.customers.list({ segment: "startup", limit: 3 }).pages())
			pages.push(page.data.length);

		expect(created.results.map((i) => i.status)).toEqual(Array(7).fill("created"));
		expect(new Set(seen).size).toBe(7);
		expect(seen.sort()).toEqual(created.results.map((i) => i.data?.id).sort());
		expect(pages).toEqual([3, 3, 1]);
	});

	test("awaiting a list gives one page with its pagination", async () => {
		const page = await sdk().customers.list({ limit: 2, sort: "name:asc" });

		expect(page.data).toHaveLength(2);
		expect(page.pagination).toMatchObject({ limit: 2, has_next: true });
		expect(page.pagination.next_cursor).toEqual(expect.any(String));
	});
});

describe("retries", () => {
	test("a 429 is retried after its Retry-After, and succeeds once the quota allows", async () => {
		const limited = await createKey(gw.api, { name: "tiny quota", rate_limit_per_hour: 2 });
		const retries: RetryInfo[] = [];
		const mantis = sdk({
			apiKey: limited.key,
			maxRetryDelayMs: 2 * 3600 * 1000,
			onRetry: (retry) => void retries.push(retry),
			// Instead of waiting the hour out, the owner raises the key's quota during the wait.
			sleep: async () => {
				await gw.api.patch(`/v1/auth/api-keys/${limited.id}`, {
					rate_limit_per_hour: 1000,
				});
			},
		});
		await mantis.customers.list({ limit: 1 });
		await mantis.customers.list({ limit: 1 });
		const page = await mantis.customers.list({ limit: 1 });

		expect(page.data).toHaveLength(1);
		expect(retries).toHaveLength(1);
		expect(retries[0].error).toBeInstanceOf(RateLimitedError);
		expect(retries[0].error.retryAfter).toBeGreaterThan(0);
		expect(retries[0].delayMs).toBeGreaterThanOrEqual(
			(retries[0].error.retryAfter ?? 0) * 1000,
		);
	});

	test("a Retry-After beyond the client's ceiling is thrown at once, not waited for", async () => {
		const limited = await createKey(gw.api, { name: "spent quota", rate_limit_per_hour: 1 });
		const waits: number[] = [];
		const mantis = sdk({ apiKey: limited.key, sleep: async (ms) => void waits.push(ms) });
		await mantis.customers.list({ limit: 1 });
		const error = await rejectionOf(mantis.customers.list({ limit: 1 }));

		expect(error).toBeInstanceOf(RateLimitedError);
		expect(error.retryAfter).toBeGreaterThan(60);
		expect(waits).toEqual([]);
	});

	test("a create whose answer is lost is retried with the same Idempotency-Key: one record", async () => {
		const name = `Lost answer ${Date.now()}`;
		// The gateway creates the customer, but the client is told 503.
		proxy.fault = (seen, n) =>
			seen.method === "POST" &&
			n === proxy.seen.length &&
			proxy.seen.filter((s) => s.method === "POST").length === 1
				? { status: 503, headers: { "retry-after": "0" }, forward: true }
				: undefined;
		proxy.seen.length = 0;
		const customer = await sdk({ baseUrl: proxy.url }).customers.create({
			name,
			segment: "smb",
		});
		const posts = proxy.seen.filter((s) => s.method === "POST");
		const matching = await sdk().customers.list({ name });

		expect(posts).toHaveLength(2);
		expect(posts[0].headers["idempotency-key"]).toEqual(expect.any(String));
		expect(posts[1].headers["idempotency-key"]).toBe(posts[0].headers["idempotency-key"]);
		expect(posts[1].upstream?.headers.get("idempotent-replayed")).toBe("true");
		expect(matching.data.map((c) => c.id)).toEqual([customer.id]);
		proxy.fault = () => undefined;
	});
});

describe("errors", () => {
	test("a missing resource is NotFoundError with the envelope's code and request id", async () => {
		const error = await rejectionOf(
			sdk().customers.get("00000000-0000-4000-8000-000000000000"),
		);

		expect(error).toBeInstanceOf(NotFoundError);
		expect(error).toMatchObject({ status: 404, code: "NOT_FOUND" });
		expect(error.requestId).toEqual(expect.any(String));
		expect(error.message).not.toBe("");
	});

	test("a bad field is ValidationError naming it in details", async () => {
		const error = await rejectionOf(
			// @ts-expect-error the segment is wrong on purpose
			sdk().customers.create({ name: "Bad", segment: "galactic" }),
		);

		expect(error).toBeInstanceOf(ValidationError);
		expect(error.code).toBe("VALIDATION_ERROR");
		expect(error.details.map((d) => d.field)).toContain("segment");
	});

	test("workflow steps run, and a step the state forbids is InvalidStateTransitionError", async () => {
		const mantis = sdk();
		const customer = await mantis.customers.create({ name: "Buyer", segment: "smb" });
		const widget = await mantis.products.create({ sku: "WID-1", name: "Widget", price: 10 });
		const order = await mantis.orders.create({
			customer_id: customer.id,
			items: [{ product_id: widget.id, quantity: 2 }],
		});
		const shipping = await rejectionOf(mantis.orders.ship(order.id, { carrier: "UPS" }));
		const confirmed = await mantis.orders.confirm(order.id);

		expect(shipping).toBeInstanceOf(InvalidStateTransitionError);
		expect(shipping).toMatchObject({ status: 409, code: "INVALID_STATE_TRANSITION" });
		expect(confirmed.status).toBe("confirmed");
		expect(confirmed.total_amount).toBe(20);
	});

	test("an unknown key is AuthenticationError, and is not retried", async () => {
		const retries: RetryInfo[] = [];
		const mantis = sdk({ apiKey: "mnx_not_a_key", onRetry: (r) => void retries.push(r) });
		const error = await rejectionOf(mantis.customers.list());

		expect(error).toBeInstanceOf(AuthenticationError);
		expect(retries).toEqual([]);
	});
});
