/**
 * The built TypeScript SDK's event helpers against a real gateway: a real webhook delivery
 * checked with `verifyWebhook` (and refused when tampered with or late), and live events through
 * the socket.io and graphql-ws helpers after writes made with the same client.
 */
import {
	AuthenticationError,
	type Mantis,
	type MantisEvent,
	verifyMantisSignature,
	verifyWebhook,
	WebhookVerificationError,
} from "../dist";
import { organizationGateway, type OrganizationGateway } from "../../../test/helpers/gateway";
import { repeatUntil, until } from "../../../test/helpers/graphql";
import { type Received, type Receiver, startReceiver } from "../../../test/helpers/receiver";
import { rejectionOf, sdkFor } from "./helpers";

let gw: OrganizationGateway;
let mantis: Mantis;
let receiver: Receiver;

beforeAll(async () => {
	// The receiver listens on 127.0.0.1, which webhooks may reach only when allowed.
	gw = await organizationGateway("SDK events", { WEBHOOK_ALLOW_PRIVATE: "true" });
	mantis = sdkFor(gw);
	receiver = await startReceiver();
});

afterAll(async () => {
	await mantis?.graphql.close();
	await receiver?.close();
	await gw?.node.stop();
});

describe("webhook verification", () => {
	let secret: string;
	let delivery: Received;

	beforeAll(async () => {
		const endpoint = await mantis.webhooks.create({
			url: receiver.url,
			events: ["customer.created"],
		});
		secret = endpoint.secret ?? "";
		const customer = await mantis.customers.create({ name: "Hooked", segment: "smb" });
		await receiver.waitFor("the customer.created delivery", (all) =>
			all.some((r) => r.body?.data?.object?.id === customer.id),
		);
		delivery = receiver.received.find((r) => r.body?.data?.object?.id === customer.id)!;
	});

	test("a real delivery verifies and gives back its event", () => {
		const event = verifyWebhook(delivery.raw, delivery.headers, secret);

		expect(secret).toMatch(/^whsec_/);
		expect(event).toMatchObject({
			type: "customer.created",
			organization_id: gw.owner.organization_id,
		});
		expect(event.id).toBe(delivery.headers["webhook-id"]);
		expect(
			verifyMantisSignature(
				delivery.raw,
				delivery.headers["x-mantis-signature"] as string,
				secret,
			),
		).toBe(true);
	});

	test("a body changed after signing is refused", () => {
		const tampered = delivery.raw.toString("utf8").replace('"Hooked"', '"Hijacked"');

		expect(tampered).not.toBe(delivery.raw.toString("utf8"));
		expect(() => verifyWebhook(tampered, delivery.headers, secret)).toThrow(
			WebhookVerificationError,
		);
		expect(
			verifyMantisSignature(
				tampered,
				delivery.headers["x-mantis-signature"] as string,
				secret,
			),
		).toBe(false);
	});

	test("another endpoint's secret is refused", () => {
		const otherSecret = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;

		expect(() => verifyWebhook(delivery.raw, delivery.headers, otherSecret)).toThrow(
			WebhookVerificationError,
		);
		expect(verifyWebhook(delivery.raw, delivery.headers, [otherSecret, secret]).type).toBe(
			"customer.created",
		);
	});

	test("a delivery older than the tolerance is refused, though its signature matches", () => {
		const sentAt = Number(delivery.headers["webhook-timestamp"]) * 1000;
		const later = new Date(sentAt + 10 * 60 * 1000);

		expect(() => verifyWebhook(delivery.raw, delivery.headers, secret, { now: later })).toThrow(
			/tolerance/,
		);
		expect(
			verifyWebhook(delivery.raw, delivery.headers, secret, {
				now: later,
				toleranceSeconds: 900,
			}).type,
		).toBe("customer.created");
	});
});

describe("socket.io helper", () => {
	test("a subscription receives the event of a REST write, and remembers its id", async () => {
		const received: MantisEvent[] = [];
		const subscription = await mantis.realtime.subscribe({
			types: ["customer.*"],
			onEvent: (event) => void received.push(event),
		});
		try {
			const customer = await mantis.customers.create({ name: "Live", segment: "startup" });
			await until(() => received.some((e) => e.data.object.id === customer.id));
			const event = received.find((e) => e.data.object.id === customer.id)!;

			expect(event.type).toBe("customer.created");
			expect(event.organization_id).toBe(gw.owner.organization_id);
			expect(subscription.lastEventId).toBe(received.at(-1)?.id);
		} finally {
			subscription.close();
		}
	});

	test("a subscription with a wrong key is refused with AuthenticationError", async () => {
		const stranger = sdkFor(gw, { apiKey: "mnx_not_a_key" });
		const error = await rejectionOf(
			stranger.realtime.subscribe({ types: ["*"], onEvent: () => undefined }),
		);

		expect(error).toBeInstanceOf(AuthenticationError);
	});
});

describe("graphql-ws helper", () => {
	test("customerInteraction receives the interactions of its customer only", async () => {
		const watched = await mantis.customers.create({ name: "Watched", segment: "smb" });
		const other = await mantis.customers.create({ name: "Other", segment: "smb" });
		const received: Record<string, unknown>[] = [];
		const stop = await mantis.graphql.customerInteraction(watched.id, "id subject customerId", {
			onData: (data) => void received.push(data.customerInteraction),
		});
		// The subscription is live a moment after it is sent: write until one arrives.
		await repeatUntil(
			() => received.length > 0,
			() =>
				mantis.customers
					.interactions(watched.id)
					.create({ type: "call", subject: "Call back" }),
		);
		await mantis.customers
			.interactions(other.id)
			.create({ type: "call", subject: "Not this one" });
		await mantis.customers.interactions(watched.id).create({ type: "email", subject: "Last" });
		await until(() => received.some((r) => r.subject === "Last"));
		stop();

		expect(received[0]).toMatchObject({ subject: "Call back", customerId: watched.id });
		expect(received.map((r) => r.customerId)).not.toContain(other.id);
	});

	test("orderStatusChanged receives the status changes of its customer's orders only", async () => {
		const widget = await mantis.products.create({ sku: "SUB-1", name: "Widget", price: 5 });
		const buyer = await mantis.customers.create({ name: "Buyer", segment: "smb" });
		const other = await mantis.customers.create({ name: "Bystander", segment: "smb" });
		const orderFor = (customerId: string) =>
			mantis.orders.create({
				customer_id: customerId,
				items: [{ product_id: widget.id, quantity: 1 }],
			});
		const received: Record<string, unknown>[] = [];
		const stop = await mantis.graphql.orderStatusChanged(
			{ customerId: buyer.id },
			{ onData: (data) => void received.push(data.orderStatusChanged) },
		);
		// The subscription is live a moment after it is sent: confirm orders until one arrives.
		await repeatUntil(
			() => received.length > 0,
			async () => mantis.orders.confirm((await orderFor(buyer.id)).id),
		);
		await mantis.orders.confirm((await orderFor(other.id)).id);
		const last = await orderFor(buyer.id);
		await mantis.orders.confirm(last.id);
		await until(() => received.some((r) => r.id === last.id));
		stop();

		expect(received[0]).toMatchObject({ status: "CONFIRMED", customerId: buyer.id });
		expect(received.map((r) => r.customerId)).not.toContain(other.id);
	});
});
