/**
 * NATS for the suite that runs the cluster on the NATS transporter: reported skipped by name
 * when no server answers at NATS_URL, a failure under CI=true (as for Redis).
 */
export { NATS_URL } from "./nats-server";

export const describeWithNats: jest.Describe =
	process.env.MANTIS_TEST_NATS === "1" ? describe : describe.skip;
