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
		if rt.Hidden {
			continue
		}
		path := strings.TrimSuffix(rt.Path, "{$}")
		oc, err := r.NewOperationContext(rt.Method, path)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", rt.Method, path, err)
		}
		oc.SetSummary(rt.Summary)
		oc.SetTags(rt.Tag)
		oc.SetID(operationID(rt.Method, path))
		oc.SetDescription(describe(rt))
		if rt.in != nil {
			oc.AddReqStructure(rt.in)
			oc.AddRespStructure(validationOut{}, openapi.WithHTTPStatus(http.StatusUnprocessableEntity))
		}
		status := rt.Status
		if status == 0 {
			status = http.StatusOK
		}
		oc.AddRespStructure(rt.out, openapi.WithHTTPStatus(status))
		if rt.Access != Public {
			oc.AddSecurity("bearer")
			oc.AddRespStructure(errorOut{}, openapi.WithHTTPStatus(http.StatusUnauthorized))
			oc.AddRespStructure(errorOut{}, openapi.WithHTTPStatus(http.StatusForbidden))       // an API token without the scope
			oc.AddRespStructure(errorOut{}, openapi.WithHTTPStatus(http.StatusTooManyRequests)) // lock-out or rate limit, with Retry-After
		}
		if err := r.AddOperation(oc); err != nil {
			return nil, fmt.Errorf("%s %s: %w", rt.Method, path, err)
		}
	}
	return json.Marshal(r.Spec)
}

// describe states an endpoint's policy: who may call it, whether it is
// rate limited and what it records in the audit log.
func describe(rt route) string {
	var b strings.Builder
	if rt.Access == Public {
		b.WriteString("Public: no authentication.")
	} else {
		fmt.Fprintf(&b, "Needs the `%s` scope.", rt.Access)
	}
	if rt.Costly {
		b.WriteString(" Calls providers with a stored key: counted against the per-client limit of costly calls (OPEN_NOTEBOOK_RATE_LIMIT_COSTLY).")
	}
	if rt.Audit != "" {
		fmt.Fprintf(&b, " Recorded in the audit log as `%s`.", rt.Audit)
	}
	return b.String()
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
