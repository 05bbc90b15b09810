// Renders the authorization page from the state the server embedded as JSON: the sign-in form,
// the consent form, or an error. Every request parameter goes back as a hidden field, so the
// POST to the same path carries the whole authorization request.
(function () {
	"use strict";

	var SCOPE_WORDS = { read: "read", write: "create, change and delete", "*": "fully manage" };

	function describeScope(scope) {
		if (scope === "*") return "Full access to everything your role allows";
		var parts = scope.split(":");
		var resource = parts[0] === "*" ? "all resources" : parts[0].replace(/-/g, " ");

		return (SCOPE_WORDS[parts[1]] || parts[1]) + " " + resource;
	}

	function hidden(form, name, value) {
		var input = document.createElement("input");
		input.type = "hidden";
		input.name = name;
		input.value = value;
		form.appendChild(input);
	}

	function show(state) {
		var message = document.getElementById("message");
		if (state.message) {
			message.textContent = state.message;
			message.hidden = false;
		}
		var names = document.querySelectorAll(".client-name");
		for (var i = 0; i < names.length; i++)
			names[i].textContent = state.client ? state.client.name : "";
		if (state.mode === "error") return;

		var form = document.getElementById(state.mode);
		var params = state.params || {};
		Object.keys(params).forEach(function (key) {
			hidden(form, key, params[key]);
		});
		if (state.csrf) hidden(form, "csrf", state.csrf);
		if (state.mode === "consent") {
			var list = document.getElementById("scopes");
			(state.scopes || []).forEach(function (scope) {
				var item = document.createElement("li");
				item.textContent = describeScope(scope);
				item.title = scope;
				list.appendChild(item);
			});
		}
		form.hidden = false;
	}

	document.addEventListener("DOMContentLoaded", function () {
		var element = document.getElementById("authorize-state");
		var state;
		try {
			state = JSON.parse(element.textContent);
		} catch (err) {
			state = {
				mode: "error",
				message: "This page could not be shown; start the sign-in again.",
			};
		}
		show(state);
	});
})();
