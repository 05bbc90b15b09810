import { REDACTED, scrubEvent } from "../../mixins/scrub";

/** An event as Sentry's Node SDK hands it to `beforeSend`, with credentials in every corner. */
function sentryEvent() {
	return {
		event_id: "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
		level: "error",
		message: "Call with mnx_AbCdEf0123456789_-xyz failed",
		exception: {
			values: [
				{
					type: "Error",
					value: "upstream said: Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
					stacktrace: { frames: [{ filename: "services/api.service.ts", lineno: 10 }] },
				},
			],
		},
		request: {
			method: "POST",
			url: "https://api.example.test/v1/x?api_key=mnx_query&page=2",
			headers: {
				Authorization: "Bearer mnx_header",
				"X-API-Key": "mnx_other",
				Cookie: "session=abc",
				"User-Agent": "curl/8",
				"X-Request-Id": "req_123",
			},
			cookies: { session: "abc" },
			data: { name: "Acme", password: "hunter2", nested: { client_secret: "s3cr3t" } },
		},
		extra: {
			webhook: { url: "https://user:pa55@hooks.example.test/in", secret: "whsec_Zm9vYmFy" },
			note: "rotated to whsec_YmFyYmF6 yesterday",
			jwt_private_key: "-----BEGIN PRIVATE KEY-----\nMIIE…",
			refresh_token: "rt_1",
		},
		breadcrumbs: [
			{ category: "http", data: { headers: { authorization: "Basic dXNlcjpwYXNz" } } },
		],
		tags: { request_id: "req_123", action: "customers.create" },
	};
}

describe("the error-report scrubber (Sentry beforeSend)", () => {
	const original = sentryEvent();
	const scrubbed = scrubEvent(original);
	const text = JSON.stringify(scrubbed);

	test("drops the authorization, x-api-key and cookie headers and the cookies", () => {
		expect(Object.keys(scrubbed.request.headers)).toEqual(["User-Agent", "X-Request-Id"]);
		expect(scrubbed.request).not.toHaveProperty("cookies");
	});

	test("masks fields whose names say they are secret, at any depth", () => {
		expect(scrubbed.request.data).toEqual({
			name: "Acme",
			password: REDACTED,
			nested: { client_secret: REDACTED },
		});
		expect(scrubbed.extra.jwt_private_key).toBe(REDACTED);
		expect(scrubbed.extra.refresh_token).toBe(REDACTED);
		expect(scrubbed.extra.webhook.secret).toBe(REDACTED);
	});

	test("redacts credential-shaped text in messages, URLs and breadcrumbs", () => {
		for (const secret of [
			"mnx_AbCdEf0123456789_-xyz",
			"mnx_query",
			"eyJhbGciOiJSUzI1NiJ9",
			"whsec_YmFyYmF6",
			"pa55",
			"dXNlcjpwYXNz",
			"hunter2",
			"session=abc",
		])
			expect(text).not.toContain(secret);
		expect(scrubbed.request.url).toBe(
			`https://api.example.test/v1/x?api_key=${REDACTED}&page=2`,
		);
		expect(scrubbed.extra.webhook.url).toBe(`https://${REDACTED}@hooks.example.test/in`);
	});

	test("keeps what is needed to find the fault: ids, tags, the stack", () => {
		expect(scrubbed.event_id).toBe("0f1e2d3c4b5a69788796a5b4c3d2e1f0");
		expect(scrubbed.tags).toEqual({ request_id: "req_123", action: "customers.create" });
		expect(scrubbed.exception.values[0].stacktrace.frames[0]).toEqual({
			filename: "services/api.service.ts",
			lineno: 10,
		});
		expect(scrubbed.exception.values[0].value).toMatch(
			/^upstream said: Authorization: Bearer /,
		);
	});

	test("leaves the original event untouched", () => {
		expect(original).toEqual(sentryEvent());
	});
});
