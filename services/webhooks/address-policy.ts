/**
 * Where webhooks may go (contract: SSRF defence). Only global unicast addresses are allowed:
 * loopback, private, link-local, CGNAT, multicast, unspecified, broadcast, reserved and the
 * IPv6 forms that embed an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo) are refused,
 * whatever the notation. The check runs twice: on the URL when an endpoint is saved, and on the
 * address a connection actually uses, so a DNS answer that changes later cannot slip through.
 */
import dns from "node:dns";
import net from "node:net";
import ipaddr from "ipaddr.js";
import type { ErrorDetail } from "../../models/errors";

/** `::/96`: IPv6 addresses that embed an IPv4 one in their last 32 bits (deprecated). */
const IPV4_COMPATIBLE = ipaddr.parseCIDR("::/96");

/** How long the creation-time check waits for DNS before leaving it to connect time. */
const LOOKUP_TIMEOUT_MS = 3000;

/**
 * The refusal of a connection to a forbidden address; the worker reports it as the attempt's error.
 */
export class ForbiddenAddressError extends Error {
	readonly code = "EWEBHOOKADDRESS";

	constructor(host: string, address: string, range: string) {
		super(
			host === address
				? `refused to connect to ${address} (${range} address)`
				: `refused to connect to ${host}: it resolves to ${address} (${range} address)`,
		);
		this.name = "ForbiddenAddressError";
	}
}

/**
 * The range name of `address` when webhooks may not reach it, else undefined. `ipaddr.process`
 * turns IPv4-mapped IPv6 into IPv4 first, so `::ffff:127.0.0.1` is loopback like `127.0.0.1`.
 */
export function forbiddenRange(address: string): string | undefined {
	const bare = address.replace(/^\[|\]$/g, "");
	if (!ipaddr.isValid(bare)) return "unparseable";
	const parsed = ipaddr.process(bare);
	const range = parsed.range();
	// ipaddr.js has no name for the deprecated IPv4-compatible form (RFC 4291 2.5.5.1):
	// `[::127.0.0.1]` (`::7f00:1`) would pass as unicast.
	if (range === "unicast" && parsed.kind() === "ipv6" && parsed.match(IPV4_COMPATIBLE))
		return "ipv4Compatible";

	return range === "unicast" ? undefined : range;
}

/** An IP literal in a URL host (`[::1]` → `::1`), or undefined for a name. */
function ipLiteral(hostname: string): string | undefined {
	const bare = hostname.replace(/^\[|\]$/g, "");

	return net.isIP(bare) ? bare : undefined;
}

/** RFC 6761 reserves `localhost` and its subdomains for loopback, whatever DNS says. */
function isLocalhostName(hostname: string): boolean {
	const name = hostname.toLowerCase().replace(/\.$/, "");

	return name === "localhost" || name.endsWith(".localhost");
}

export interface UrlPolicy {
	allowPrivate: boolean;
	requireHttps: boolean;
}

type Lookup = (host: string) => Promise<Array<{ address: string }>>;

const systemLookup: Lookup = (host) => dns.promises.lookup(host, { all: true, verbatim: true });

/** The addresses `host` resolves to, or undefined when DNS does not answer in time. */
async function resolveBriefly(host: string, lookup: Lookup): Promise<string[] | undefined> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<undefined>((resolve) => {
		timer = setTimeout(() => resolve(undefined), LOOKUP_TIMEOUT_MS);
	});
	try {
		const found = await Promise.race([lookup(host), timeout]);

		return found?.map((a) => a.address);
	} catch {
		// Not resolvable now: connect time checks again, and an unreachable URL just fails.
		return undefined;
	} finally {
		clearTimeout(timer);
	}
}

/** What is wrong with `raw` as an endpoint URL under `policy` (empty when it may be saved). */
export async function urlDetails(
	raw: string,
	policy: UrlPolicy,
	lookup: Lookup = systemLookup,
): Promise<ErrorDetail[]> {
	const refuse = (message: string): ErrorDetail[] => [{ field: "url", message, value: raw }];
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		return refuse("must be an absolute http or https URL");
	}
	if (url.protocol !== "https:" && url.protocol !== "http:")
		return refuse("must be an http or https URL");
	if (policy.requireHttps && url.protocol !== "https:")
		return refuse("must use https in production");
	if (url.username || url.password)
		return refuse("must not carry credentials; receivers verify the signature instead");
	if (policy.allowPrivate) return [];

	// The WHATWG parser has already turned 2130706433, 0x7f000001 and 0177.0.0.1 into 127.0.0.1.
	const literal = ipLiteral(url.hostname);
	const range = literal ? forbiddenRange(literal) : undefined;
	if (range) return refuse(`must not point at a ${range} address`);
	if (literal) return [];
	if (isLocalhostName(url.hostname)) return refuse("must not point at a loopback address");
	const addresses = (await resolveBriefly(url.hostname, lookup)) ?? [];
	const bad = addresses.find((a) => forbiddenRange(a));
	if (bad) return refuse(`must not resolve to a ${forbiddenRange(bad)} address (${bad})`);

	return [];
}

type LookupCallback = (
	err: NodeJS.ErrnoException | null,
	address: string | dns.LookupAddress[],
	family?: number,
) => void;

/**
 * A `lookup` for `net.connect` that refuses names resolving to a forbidden address. Node uses
 * the answer it is given for the connection, so what was checked is what is connected to.
 */
export function guardedLookup(
	hostname: string,
	options: dns.LookupOptions,
	callback: LookupCallback,
): void {
	dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
		if (err) return callback(err, []);
		const bad = addresses.find((a) => forbiddenRange(a.address));
		if (bad || isLocalhostName(hostname)) {
			const address = bad?.address ?? addresses[0]?.address ?? hostname;
			const error = new ForbiddenAddressError(
				hostname,
				address,
				forbiddenRange(address) ?? "loopback",
			);

			return callback(error as NodeJS.ErrnoException, []);
		}
		if (options.all) return callback(null, addresses);
		const [first] = addresses;

		return callback(null, first.address, first.family);
	});
}

/** The refusal for a connection about to go to `address` (an IP literal or the peer), if any. */
export function refusalOf(host: string, address: string): ForbiddenAddressError | undefined {
	const range = forbiddenRange(address);

	return range ? new ForbiddenAddressError(host, address, range) : undefined;
}
