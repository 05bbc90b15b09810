/**
 * The sales subscriptions over graphql-ws with a real client: `orderCreated`,
 * `orderStatusChanged`, `salesMetricsUpdated` and `notification`, each delivering its own
 * organization's events only (a subscriber of A never receives anything of B).
 */
import type { Client as WsClient } from "graphql-ws";
import { type GatewayNode, type Owner } from "../helpers/gateway";
import {
	type GraphqlRequest,
	repeatUntil,
	startGraphqlGateway,
	subscribe,
	until,
	wsClient,
} from "../helpers/graphql";
import {
	confirmedOrder,
	data,
	failedPayment,
	newCustomer,
	newOrder,
	newProduct,
} from "../helpers/graphql-sales";

let node: GatewayNode;
let a: Owner;
let b: Owner;
let gqlA: GraphqlRequest;
let gqlB: GraphqlRequest;
let productA: string;
let productB: string;
const sockets: WsClient[] = [];

type Row = Record<string, unknown>;
type Received<K extends string> = { data: Record<K, Row> };

function socket(owner: Owner): WsClient {
	const client = wsClient(node.url, owner.api_key);
	sockets.push(client);

	return client;
}

beforeAll(async () => {
	const gateway = await startGraphqlGateway("Sales Sub A", "Sales Sub B");
	node = gateway.node;
	[a, b] = gateway.owners;
	[gqlA, gqlB] = gateway.clients;
	[productA, productB] = await Promise.all([newProduct(gqlA, 10), newProduct(gqlB, 10)]);
});

afterAll(async () => {
	await Promise.all(sockets.map((s) => s.dispose()));
	await node?.stop();
});

test("orderCreated delivers the organization's new orders with their customer; its filter narrows them", async () => {
	const customerId = await newCustomer(gqlA, "Live Buyer");
	const other = await newCustomer(gqlA);
	const client = socket(a);
	const all = subscribe<Received<"orderCreated">>(
		client,
		"subscription { orderCreated { id status customer { name } } }",
	);
	const narrowed = subscribe<Received<"orderCreated">>(
		client,
		`subscription($c: ID) { orderCreated(filters: { customerId: $c, status: [DRAFT] }) {
			customerId } }`,
		{ c: customerId },
	);
	const created: string[] = [];

	await repeatUntil(
		() => narrowed.received.length > 0,
		async () => {
			await newOrder(gqlA, other, productA);
			created.push((await newOrder(gqlA, customerId, productA)).id);
		},
	);

	// Resolving the customer takes a call more than the narrowed subscription's answer does.
	const ofMine = () =>
		all.received.find((r) => created.includes(r.data.orderCreated.id as string));
	await until(() => ofMine() !== undefined);

	const first = ofMine();
	expect(first?.data.orderCreated).toMatchObject({
		status: "DRAFT",
		customer: { name: "Live Buyer" },
	});
	expect(new Set(narrowed.received.map((r) => r.data.orderCreated.customerId))).toEqual(
		new Set([customerId]),
	);
});

test("orderStatusChanged follows an order through its workflow", async () => {
	const customerId = await newCustomer(gqlA);
	const sub = subscribe<Received<"orderStatusChanged">>(
		socket(a),
		"subscription($c: ID) { orderStatusChanged(customerId: $c) { id status fulfillmentStatus } }",
		{ c: customerId },
	);
	const ids: string[] = [];

	await repeatUntil(
		() => sub.received.length > 0,
		async () => ids.push(await confirmedOrder(gqlA, customerId, productA)),
	);
	const id = sub.received[0].data.orderStatusChanged.id as string;
	await data(
		gqlA,
		`mutation($id: ID!) { processOrder(id: $id) { id }
			fulfillOrder(id: $id, input: { carrier: "UPS" }) { id } }`,
		{ id },
	);
	await until(() => sub.received.length >= 3);

	expect(ids).toContain(id);
	expect(sub.received.map((r) => r.data.orderStatusChanged)).toEqual([
		{ id, status: "CONFIRMED", fulfillmentStatus: "UNFULFILLED" },
		{ id, status: "PROCESSING", fulfillmentStatus: "UNFULFILLED" },
		{ id, status: "SHIPPED", fulfillmentStatus: "IN_TRANSIT" },
	]);
});

test("a subscriber of A receives no order event and no sales figure of B", async () => {
	const [customerA, customerB] = await Promise.all([newCustomer(gqlA), newCustomer(gqlB)]);
	const client = socket(a);
	const created = subscribe<Received<"orderCreated">>(
		client,
		"subscription { orderCreated { id } }",
	);
	const changed = subscribe<Received<"orderStatusChanged">>(
		client,
		"subscription($c: ID) { orderStatusChanged(customerId: $c) { id } }",
		{ c: customerB },
	);
	const metrics = subscribe<Received<"salesMetricsUpdated">>(
		client,
		`subscription($o: ID) { salesMetricsUpdated(organizationId: $o) { orderId } }`,
		{ o: b.organization_id },
	);
	const ofB = subscribe<Received<"salesMetricsUpdated">>(
		socket(b),
		"subscription { salesMetricsUpdated { orderId } }",
	);
	const ordersOfA: string[] = [];
	const ordersOfB: string[] = [];

	await repeatUntil(
		() => ofB.received.length > 0,
		async () => ordersOfB.push(await confirmedOrder(gqlB, customerB, productB)),
	);
	// A's own order, sent after B's: once it arrives, B's would have arrived before it.
	await repeatUntil(
		() => created.received.length > 0,
		async () => ordersOfA.push((await newOrder(gqlA, customerA, productA)).id),
	);

	expect(created.received.map((r) => r.data.orderCreated.id)).toEqual(
		expect.arrayContaining([ordersOfA[ordersOfA.length - 1]]),
	);
	for (const r of created.received) expect(ordersOfA).toContain(r.data.orderCreated.id);
	expect(changed.received).toEqual([]);
	expect(metrics.received).toEqual([]);
	expect(ordersOfB).toContain(ofB.received[0].data.salesMetricsUpdated.orderId);
});

test("salesMetricsUpdated carries the day's and month's figures after an order is confirmed", async () => {
	const customerId = await newCustomer(gqlA);
	const sub = subscribe<Received<"salesMetricsUpdated">>(
		socket(a),
		`subscription { salesMetricsUpdated(currency: "USD") { orderId currency day dayOrders
			dayTotal month monthOrders monthTotal } }`,
	);
	const confirmed: string[] = [];

	await repeatUntil(
		() => sub.received.length > 0,
		async () => confirmed.push(await confirmedOrder(gqlA, customerId, productA, 3)),
	);

	const figures = sub.received[0].data.salesMetricsUpdated;
	const today = new Date().toISOString().slice(0, 10);
	expect(confirmed).toContain(figures.orderId);
	expect(figures).toMatchObject({ currency: "USD", day: today, month: today.slice(0, 7) });
	expect(figures.dayOrders).toBeGreaterThanOrEqual(1);
	expect(figures.dayTotal).toBeGreaterThanOrEqual(30);
	expect(figures.monthTotal).toBeGreaterThanOrEqual(figures.dayTotal as number);
});

test("notification reaches the subscriber's own user only, not another organization's", async () => {
	const mine = subscribe<Received<"notification">>(
		socket(a),
		"subscription { notification { type title object } }",
	);
	const theirs = subscribe<Received<"notification">>(
		socket(b),
		"subscription { notification { type } }",
	);
	const payments: string[] = [];

	await repeatUntil(
		() => mine.received.length > 0,
		async () => payments.push(await failedPayment(gqlA, productA)),
		10,
	);

	expect(mine.received[0].data.notification).toMatchObject({
		type: "PAYMENT_FAILED",
		object: { type: "payment" },
	});
	expect(payments).toContain((mine.received[0].data.notification.object as Row).id);
	expect(theirs.received).toEqual([]);
});
