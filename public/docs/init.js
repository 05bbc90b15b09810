// Renders /openapi.json; "Authorize" takes an API key or an access token. No validator badge:
// it would send the document's address to validator.swagger.io.
window.ui = SwaggerUIBundle({
	url: "/openapi.json",
	dom_id: "#reference",
	deepLinking: true,
	validatorUrl: null,
});
