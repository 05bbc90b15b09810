/** Where webhooks may point (contract: SSRF defence), with DNS answers chosen by the test. */
import { forbiddenRange, guardedLookup, urlDetails } from "../../services/webhooks/address-policy";

const strict = { allowPrivate: false, requireHttps: false };
const dnsSays =
	(...addresses: string[]) =>
	async () =>
		addresses.map((address) => ({ address }));

describe("forbidden ranges", () => {
	test.each([
		["127.0.0.1", "loopback"],
		["::ffff:127.0.0.1", "loopback"],
		["::ffff:7f00:1", "loopback"],
		["::1", "loopback"],
		["10.0.0.1", "private"],
		["100.64.1.1", "carrierGradeNat"],
		["169.254.169.254", "linkLocal"],
		["fe80::1", "linkLocal"],
		["224.0.0.251", "multicast"],
		["0.0.0.0", "unspecified"],
		["::", "unspecified"],
		["fd00::1", "uniqueLocal"],
		["::7f00:1", "ipv4Compatible"],
		["::a00:1", "ipv4Compatible"],
	])("%s is %s", (address, range) => {
		expect(forbiddenRange(address)).toBe(range);
	});

	test("public unicast addresses are allowed", () => {
		expect(forbiddenRange("93.184.216.34")).toBeUndefined();
		expect(forbiddenRange("2606:2800:220:1:248:1893:25c8:1946")).toBeUndefined();
	});
});

describe("URL policy", () => {
	test("a name whose DNS answer holds any forbidden address is refused", async () => {
		const details = await urlDetails(
			"https://hooks.example.test/x",
			strict,
			dnsSays("93.184.216.34", "10.0.0.7"),
		);

		expect(details[0].message).toContain("10.0.0.7");
	});

	test("a name resolving to public addresses, or not resolving yet, is accepted", async () => {
		expect(
			await urlDetails("https://hooks.example.test/x", strict, dnsSays("93.184.216.34")),
		).toEqual([]);
		const failing = async () => {
			throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
		};
		expect(await urlDetails("https://nowhere.example.test/x", strict, failing)).toEqual([]);
	});

	test("WEBHOOK_ALLOW_PRIVATE lets private targets through, but never other schemes", async () => {
		const relaxed = { allowPrivate: true, requireHttps: false };
		expect(await urlDetails("http://127.0.0.1:9/x", relaxed)).toEqual([]);
		expect(await urlDetails("file:///etc/passwd", relaxed)).toHaveLength(1);
	});

	test("production requires https", async () => {
		const production = { allowPrivate: false, requireHttps: true };
		const details = await urlDetails("http://93.184.216.34/x", production);

		expect(details[0].message).toBe("must use https in production");
	});
});

describe("connect-time lookup", () => {
	test("refuses a name that resolves to loopback, so no connection is made", async () => {
		const err = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
			guardedLookup("localhost", { all: true }, (e) => resolve(e)),
		);

		expect(err?.message).toMatch(/refused to connect to localhost/);
	});
});
