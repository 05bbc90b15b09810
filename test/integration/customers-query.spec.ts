/**
 * The list query language over real HTTP on the customers resource: operators, `q`, sort,
 * `fields`, `include`, and paging by page and by cursor that never repeats or skips a row.
 */
import {
	bootstrap,
	client,
	type Client,
	type GatewayNode,
	type Owner,
	startNode,
	tempDir,
} from "../helpers/gateway";

let dataDir: string;
let owner: Owner;
let node: GatewayNode;
let api: Client;
let base: string;

function newCustomer(overrides: Record<string, unknown> = {}) {
	return {
		name: `Customer ${Math.random().toString(36).slice(2, 8)}`,
		segment: "smb",
		...overrides,
	};
}

beforeAll(async () => {
	dataDir = tempDir();
	owner = bootstrap({ DATA_DIR: dataDir }, "Acme Trading");
	node = await startNode({ DATA_DIR: dataDir });
	api = client(node.url, owner.api_key);
	base = `/v1/organizations/${owner.organization_id}`;
});

afterAll(async () => {
	await node?.stop();
});

describe("the list query language", () => {
	let tag: string;
	let ids: Record<string, string>;

	beforeAll(async () => {
		tag = `f${Date.now()}`;
		const items = [
			{
				name: `${tag} Alpha`,
				segment: "enterprise",
				status: "active",
				email: "alpha@a.test",
			},
			{ name: `${tag} Beta`, segment: "smb", status: "prospect", email: "beta@b.test" },
			{ name: `${tag} Gamma`, segment: "startup", status: "active", company: "Gamma GmbH" },
		];
		ids = {};
		for (const item of items) {
			const res = await api.post(`${base}/customers`, item);
			ids[item.name.split(" ")[1]] = res.body.data.id;
		}
	});

	async function names(query: string): Promise<string[]> {
		const res = await api.get(`${base}/customers?q=${tag}&sort=name:asc&${query}`);
		expect(res.status).toBe(200);

		return res.body.data.map((c: { name: string }) => c.name.split(" ")[1]);
	}

	test("equality, _ne and _in filter enums", async () => {
		expect(await names("segment=smb")).toEqual(["Beta"]);
		expect(await names("status_ne=active")).toEqual(["Beta"]);
		expect(await names("segment_in=enterprise,startup")).toEqual(["Alpha", "Gamma"]);
	});

	test("q searches names, emails and companies case-insensitively", async () => {
		const res = await api.get(`${base}/customers?q=GAMMA%20gmbh`);
		expect(res.body.data.map((c: { id: string }) => c.id)).toEqual([ids.Gamma]);
	});

	test("created_after and created_before bound the creation time", async () => {
		const beta = (await api.get(`${base}/customers/${ids.Beta}`)).body.data;

		expect(await names(`created_after=${encodeURIComponent(beta.created_at)}`)).toEqual([
			"Gamma",
		]);
		expect(await names(`created_before=${encodeURIComponent(beta.created_at)}`)).toEqual([
			"Alpha",
		]);
	});

	test("range operators _gt, _gte, _lt and _lte work on date-time fields", async () => {
		const customer = (await api.post(`${base}/customers`, newCustomer())).body.data;
		const path = `${base}/customers/${customer.id}/interactions`;
		for (const day of ["01", "02", "03"]) {
			await api.post(path, {
				type: "note",
				subject: day,
				occurred_at: `2024-05-${day}T12:00:00Z`,
			});
		}
		const subjects = async (q: string) =>
			(await api.get(`${path}?sort=occurred_at:asc&${q}`)).body.data.map(
				(i: { subject: string }) => i.subject,
			);

		expect(await subjects("occurred_at_gt=2024-05-02T12:00:00Z")).toEqual(["03"]);
		expect(await subjects("occurred_at_gte=2024-05-02T12:00:00Z")).toEqual(["02", "03"]);
		expect(await subjects("occurred_at_lt=2024-05-02T12:00:00Z")).toEqual(["01"]);
		expect(await subjects("occurred_at_lte=2024-05-02T12:00:00Z")).toEqual(["01", "02"]);
	});

	test("multi-field sort orders by each field in turn", async () => {
		const res = await api.get(`${base}/customers?q=${tag}&sort=status:asc,name:desc`);

		expect(res.body.data.map((c: { name: string }) => c.name.split(" ")[1])).toEqual([
			"Gamma",
			"Alpha",
			"Beta",
		]);
	});

	test("fields projects the response and always keeps id", async () => {
		const res = await api.get(`${base}/customers?q=${tag}&fields=name,segment&limit=1`);

		expect(Object.keys(res.body.data[0]).sort()).toEqual(["id", "name", "segment"]);
	});

	test("include embeds contacts batch-loaded for the whole page", async () => {
		await api.post(`${base}/customers/${ids.Alpha}/contacts`, { name: "Alpha One" });
		await api.post(`${base}/customers/${ids.Alpha}/contacts`, { name: "Alpha Two" });

		const res = await api.get(`${base}/customers?q=${tag}&sort=name:asc&include=contacts`);
		const byName = Object.fromEntries(
			res.body.data.map((c: { name: string; contacts: unknown[] }) => [
				c.name.split(" ")[1],
				c.contacts.length,
			]),
		);
		const one = await api.get(`${base}/customers/${ids.Alpha}?include=contacts&fields=name`);

		expect(byName).toEqual({ Alpha: 2, Beta: 0, Gamma: 0 });
		expect(one.body.data.contacts.map((c: { name: string }) => c.name).sort()).toEqual([
			"Alpha One",
			"Alpha Two",
		]);
	});
});

describe("paging is stable", () => {
	const count = 250;
	let created: string[];
	let tag: string;

	beforeAll(async () => {
		tag = `p${Date.now()}`;
		const items = Array.from({ length: count }, (_, i) => newCustomer({ name: `${tag} ${i}` }));
		const res = await api.post(`${base}/customers/bulk`, { items });
		expect(res.body.data.succeeded).toBe(count);
		created = res.body.data.results.map((r: { id: string }) => r.id);
	});

	test("one bulk create gives every row the same created_at", async () => {
		const res = await api.get(`${base}/customers?q=${tag}&limit=100&fields=created_at`);

		expect(new Set(res.body.data.map((c: { created_at: string }) => c.created_at)).size).toBe(
			1,
		);
	});

	test("paging by page through 250 equal created_at rows yields each exactly once", async () => {
		const seen: string[] = [];
		for (let page = 1; ; page++) {
			const res = await api.get(
				`${base}/customers?q=${tag}&sort=created_at:desc&limit=40&page=${page}`,
			);
			seen.push(...res.body.data.map((c: { id: string }) => c.id));
			expect(res.body.pagination).toMatchObject({ page, limit: 40, total: count, pages: 7 });
			if (!res.body.pagination.has_next) break;
		}

		expect(seen).toHaveLength(count);
		expect(new Set(seen)).toEqual(new Set(created));
	});

	test("paging by cursor forward and back yields each exactly once", async () => {
		const forward: string[][] = [];
		let cursor: string | null = null;
		let last: { prev_cursor: string | null } = { prev_cursor: null };
		do {
			const res: {
				body: {
					data: Array<{ id: string }>;
					pagination: { next_cursor: string | null; prev_cursor: string | null };
				};
			} = await api.get(
				`${base}/customers?q=${tag}&sort=created_at:desc&limit=33${cursor ? `&cursor=${cursor}` : ""}`,
			);
			forward.push(res.body.data.map((c) => c.id));
			cursor = res.body.pagination.next_cursor;
			last = res.body.pagination;
		} while (cursor);
		const flat = forward.flat();
		expect(flat).toHaveLength(count);
		expect(new Set(flat)).toEqual(new Set(created));

		const backward: string[][] = [forward[forward.length - 1]];
		cursor = last.prev_cursor;
		while (cursor) {
			const res: {
				body: { data: Array<{ id: string }>; pagination: { prev_cursor: string | null } };
			} = await api.get(
				`${base}/customers?q=${tag}&sort=created_at:desc&limit=33&cursor=${cursor}`,
			);
			backward.unshift(res.body.data.map((c) => c.id));
			cursor = res.body.pagination.prev_cursor;
		}
		expect(backward.flat()).toEqual(flat);
	});

	test("a cursor made for one sort is refused under another", async () => {
		const first = await api.get(`${base}/customers?q=${tag}&sort=name:asc&limit=10`);
		const res = await api.get(
			`${base}/customers?q=${tag}&sort=created_at:desc&cursor=${first.body.pagination.next_cursor}`,
		);

		expect(res.status).toBe(400);
		expect(res.body.error.details[0].field).toBe("cursor");
	});
});
