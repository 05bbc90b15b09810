/** What the SDK's suites share: a client of a test gateway's organization, and its failures. */
import { Mantis, MantisError, type MantisOptions } from "../dist";
import type { OrganizationGateway } from "../../../test/helpers/gateway";

/** A client of the owner's organization on `gw`, with `options` on top. */
export function sdkFor(gw: OrganizationGateway, options: Partial<MantisOptions> = {}): Mantis {
	return new Mantis({
		apiKey: gw.owner.api_key,
		organizationId: gw.owner.organization_id,
		baseUrl: gw.node.url,
		...options,
	});
}

/** The error `call` rejects with; fails the test when it resolves or throws a non-SDK error. */
export async function rejectionOf(call: PromiseLike<unknown>): Promise<MantisError> {
	const outcome = await Promise.resolve(call).then(
		(value) => ({ value }),
		(error: unknown) => ({ error }),
	);
	if (!("error" in outcome))
		throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`);
	if (!(outcome.error instanceof MantisError)) throw outcome.error;

	return outcome.error;
}
