// Swagger UI on /api/docs/: reads the schema of this site and sends "try it out" requests with the session's
// CSRF token (the API also takes the session of the signed-in user).
(function () {
  const target = document.getElementById("swagger-ui");
  const csrfToken = (document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/) || [])[1];
  window.ui = SwaggerUIBundle({
    url: target.dataset.schemaUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: true,
    displayOperationId: false,
    filter: true,
    requestInterceptor: function (request) {
      if (csrfToken) {
        request.headers["X-CSRFToken"] = decodeURIComponent(csrfToken);
      }
      return request;
    },
  });
})();
