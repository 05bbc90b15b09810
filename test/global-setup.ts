/**
 * Runs once before all suites: finds out whether Redis answers. Suites that need it run only
 * then and are otherwise reported skipped by name, except under CI=true, where a missing Redis
 * fails the run (contract: `npm test`).
 */
import { REDIS_URL, redisAvailable } from "./helpers/gateway";

export default async function globalSetup(): Promise<void> {
	const up = await redisAvailable(REDIS_URL);
	process.env.MANTIS_TEST_REDIS = up ? "1" : "0";
	if (!up && process.env.CI === "true")
		throw new Error(`Redis does not answer at ${REDIS_URL}, and CI=true requires it`);
	if (!up)
		console.warn(`Redis does not answer at ${REDIS_URL}: the suites that need it are skipped`);
}
