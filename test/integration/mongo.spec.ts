/**
 * The MongoDB path of the storage mixin. No MongoDB server can run on the project's own
 * machines, so this suite runs only where MONGO_URI is set (each run uses its own database).
 */
import { bootstrap, client, type GatewayNode, startNode, tempDir } from "../helpers/gateway";

const mongoUri = process.env.MONGO_URI;
const describeWithMongo = mongoUri ? describe : describe.skip;

function uriWithDatabase(uri: string, database: string): string {
	const url = new URL(uri);
	url.pathname = `/${database}`;

	return url.toString();
}

describeWithMongo("customers on MongoDB (MONGO_URI)", () => {
	let node: GatewayNode;
	let env: Record<string, string>;

	beforeAll(async () => {
		env = {
			MONGO_URI: uriWithDatabase(mongoUri as string, `mantis_test_${Date.now()}`),
			DATA_DIR: tempDir(),
		};
		node = await startNode(env);
	});

	afterAll(async () => {
		await node?.stop();
	});

	test("bootstrap, CRUD, unique external_id, filters and cursor paging behave as on NeDB", async () => {
		const owner = bootstrap(env, "Mongo Org");
		const api = client(node.url, owner.api_key);
		const base = `/v1/organizations/${owner.organization_id}`;

		const items = Array.from({ length: 30 }, (_, i) => ({
			name: `M ${i}`,
			segment: i % 2 ? "smb" : "enterprise",
			external_id: `M-${i}`,
		}));
		const bulk = await api.post(`${base}/customers/bulk`, { items });
		const duplicate = await api.post(`${base}/customers`, {
			name: "Dup",
			segment: "smb",
			external_id: "M-1",
		});
		const smb = await api.get(`${base}/customers?segment=smb&limit=100`);
		const ids: string[] = [];
		let cursor: string | null = null;
		do {
			const page: {
				body: { data: Array<{ id: string }>; pagination: { next_cursor: string | null } };
			} = await api.get(
				`${base}/customers?sort=created_at:desc&limit=7${cursor ? `&cursor=${cursor}` : ""}`,
			);
			ids.push(...page.body.data.map((c) => c.id));
			cursor = page.body.pagination.next_cursor;
		} while (cursor);
		const one = bulk.body.data.results[0].id;
		const updated = await api.patch(`${base}/customers/${one}`, { status: "churned" });

		expect(bulk.body.data.succeeded).toBe(30);
		expect(duplicate.status).toBe(409);
		expect(smb.body.pagination.total).toBe(15);
		expect(new Set(ids).size).toBe(30);
		expect(updated.body.data).toMatchObject({ status: "churned", version: 2 });
	});
});
