package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"

	"github.com/swaggest/jsonschema-go"
	"github.com/swaggest/openapi-go"
	"github.com/swaggest/openapi-go/openapi31"
)

// errorOut documents the error envelope.
type errorOut struct {
	Detail string `json:"detail"`
}

// validationOut documents a 422 from request validation.
type validationOut struct {
	Detail []validationItem `json:"detail"`
}

// buildSpec generates the OpenAPI 3.1 document from the route table, so the
// document and the server cannot drift apart.
func buildSpec(routes []route, version string) ([]byte, error) {
	r := openapi31.NewReflector()
	r.JSONSchemaReflector().DefaultOptions = append(r.JSONSchemaReflector().DefaultOptions,
		jsonschema.InterceptDefName(func(_ reflect.Type, name string) string {
			return strings.TrimPrefix(name, "Httpapi")
		}))
	r.Spec.Info.WithTitle("Open Notebook API").WithVersion(version).
		WithDescription("Self-hosted research notebook API, wire-compatible with Open Notebook. " +
			"When a password is set, send `Authorization: Bearer <password>` (as the original), a session token " +
			"from `POST /api/auth/login`, or an API token; browsers may use the session cookie instead.")
	r.Spec.SetHTTPBearerTokenSecurity("bearer", "",
		"The server password (OPEN_NOTEBOOK_PASSWORD), a session token (ons_...) or an API token (onb_..., scoped read, write or admin)")

	for _, rt := range routes {
		if rt.path == "/static/" {
			continue
		}
		path := strings.TrimSuffix(rt.path, "{$}")
		oc, err := r.NewOperationContext(rt.method, path)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", rt.method, path, err)
		}
		oc.SetSummary(rt.summary)
		oc.SetTags(rt.tag)
		oc.SetID(operationID(rt.method, path))
		if rt.in != nil {
			oc.AddReqStructure(rt.in)
			if rt.method != http.MethodGet && rt.method != http.MethodDelete {
				oc.AddRespStructure(validationOut{}, openapi.WithHTTPStatus(http.StatusUnprocessableEntity))
			}
		}
		status := rt.status
		if status == 0 {
			status = http.StatusOK
		}
		oc.AddRespStructure(rt.out, openapi.WithHTTPStatus(status))
		if !isPublic(path) {
			oc.AddSecurity("bearer")
			oc.AddRespStructure(errorOut{}, openapi.WithHTTPStatus(http.StatusUnauthorized))
			oc.AddRespStructure(errorOut{}, openapi.WithHTTPStatus(http.StatusForbidden))       // an API token without the scope
			oc.AddRespStructure(errorOut{}, openapi.WithHTTPStatus(http.StatusTooManyRequests)) // lock-out or rate limit, with Retry-After
		}
		if err := r.AddOperation(oc); err != nil {
			return nil, fmt.Errorf("%s %s: %w", rt.method, path, err)
		}
	}
	return json.Marshal(r.Spec)
}

func operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, part := range strings.FieldsFunc(path, func(r rune) bool { return r == '/' || r == '{' || r == '}' || r == '-' || r == '.' }) {
		b.WriteString("_")
		b.WriteString(part)
	}
	return b.String()
}
