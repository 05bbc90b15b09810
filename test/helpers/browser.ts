/**
 * Headless Chromium for the browser suites: Debian's own binary driven by playwright-core
 * (a browser that downloads itself is not available here). Suites are reported skipped where
 * it is not installed, except under CI=true, where its absence fails the run.
 */
import fs from "node:fs";
import path from "node:path";
import { type Browser, chromium } from "playwright-core";
import { ROOT } from "./gateway";

export const CHROMIUM = "/usr/bin/chromium";

/** Where the suites put their screenshots (ignored by git). */
export const ARTIFACTS = path.join(ROOT, "test", "artifacts");

export const describeWithChromium =
	fs.existsSync(CHROMIUM) || process.env.CI === "true" ? describe : describe.skip;

/** A headless Chromium, and the artifacts folder ready for its screenshots. */
export async function launchChromium(): Promise<Browser> {
	fs.mkdirSync(ARTIFACTS, { recursive: true });

	return chromium.launch({
		executablePath: CHROMIUM,
		args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
	});
}
