/**
 * Runs once before all suites: finds out whether Redis (and NATS) answer. Suites that need
 * them run only then and are otherwise reported skipped by name, except under CI=true, where
 * a missing server fails the run (contract: `npm test`).
 */
import { REDIS_URL, redisAvailable } from "./helpers/gateway";
import { NATS_URL, natsAvailable } from "./helpers/nats-server";

export default async function globalSetup(): Promise<void> {
	const servers = [
		{
			name: "Redis",
			url: REDIS_URL,
			flag: "MANTIS_TEST_REDIS",
			up: await redisAvailable(REDIS_URL),
		},
		{
			name: "NATS",
			url: NATS_URL,
			flag: "MANTIS_TEST_NATS",
			up: await natsAvailable(NATS_URL),
		},
	];
	for (const { name, url, flag, up } of servers) {
		process.env[flag] = up ? "1" : "0";
		if (!up && process.env.CI === "true")
			throw new Error(`${name} does not answer at ${url}, and CI=true requires it`);
		if (!up)
			console.warn(`${name} does not answer at ${url}: the suites that need it are skipped`);
	}
}
