package httpapi

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/open-notebook/open-notebook/internal/app"
	"github.com/open-notebook/open-notebook/internal/config"
)

// declared returns the route table of a server whose services are never
// called: enough to read the declarations.
func declared(t *testing.T) []route {
	t.Helper()
	s := &Server{app: &app.App{Config: &config.Config{}}}
	return s.allRoutes()
}

// find returns the route that serves method and path.
func find(routes []route, method, path string) *route {
	if method == "HEAD" {
		method = "GET"
	}
	var best *route
	for i := range routes {
		rt := &routes[i]
		r := httptest.NewRequest(method, path, nil)
		if rt.Method == method && rt.match(r) && (best == nil || strings.Count(rt.Path, "{") < strings.Count(best.Path, "{")) {
			best = rt
		}
	}
	return best
}

func TestEveryEndpointIsDeclaredWithItsAccess(t *testing.T) {
	routes := declared(t)
	cases := []struct {
		method, path string
		want         Access
	}{
		{"GET", "/api/notebooks", Read},
		{"HEAD", "/api/credentials", Read},
		{"GET", "/api/settings", Read},
		{"POST", "/api/notebooks", Write},
		{"PUT", "/api/credentials/credential:x", Write},
		{"DELETE", "/api/models/model:x", Write},
		{"POST", "/api/credentials/credential:x/test", Write},
		{"POST", "/api/credentials/migrate-from-env", Write},
		{"GET", "/api/models/discover/openai", Write},
		{"POST", "/api/models/sync/openai", Write},
		{"POST", "/api/models/model:x/test", Write},
		{"POST", "/api/sources", Write},
		{"PUT", "/api/settings", Admin},
		{"GET", "/api/auth/tokens", Admin},
		{"DELETE", "/api/auth/tokens/token:x", Admin},
		{"DELETE", "/api/auth/sessions", Admin},
		{"GET", "/api/audit", Admin},
		{"GET", "/api/audit/verify", Admin},
		{"GET", "/api/admin/encryption/status", Admin},
		{"POST", "/api/auth/logout", Read},
		{"GET", "/api/auth/session", Read},
		{"POST", "/api/auth/login", Public},
		{"GET", "/api/auth/status", Public},
		{"GET", "/api/config", Public},
		{"GET", "/health", Public},
		{"GET", "/docs", Public},
		{"GET", "/openapi.json", Public},
		{"GET", "/ui/settings", Public},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path+" needs "+tc.want.String(), func(t *testing.T) {
			rt := find(routes, tc.method, tc.path)
			if rt == nil {
				t.Fatal("no route")
			}
			if rt.Access != tc.want {
				t.Fatalf("%s %s is declared %s", rt.Method, rt.Path, rt.Access)
			}
		})
	}
	for _, rt := range routes {
		if err := rt.check(); err != nil {
			t.Errorf("%s %s %v", rt.Method, rt.Path, err)
		}
	}
}

func TestTheCostlyEndpointsAreTheOnesThatCallProvidersWithStoredKeys(t *testing.T) {
	var costly []string
	for _, rt := range declared(t) {
		if rt.Costly {
			costly = append(costly, rt.Method+" "+rt.Path)
		}
	}
	want := []string{
		"POST /api/credentials/{credential_id}/test",
		"POST /api/credentials/{credential_id}/discover",
		"GET /api/models/discover/{provider}",
		"POST /api/models/sync",
		"POST /api/models/sync/{provider}",
		"POST /api/models/{model_id}/test",
	}
	if strings.Join(costly, "\n") != strings.Join(want, "\n") {
		t.Fatalf("costly endpoints:\n%s\nwant:\n%s", strings.Join(costly, "\n"), strings.Join(want, "\n"))
	}
}

func TestADeclarationTheServerCannotHonourStopsStartUp(t *testing.T) {
	type requiredInt struct {
		N int `json:"n" required:"true"`
	}
	cases := []struct {
		name string
		rt   route
		want string
	}{
		{"an endpoint without an access", raw(op{Method: "GET", Path: "/x"}, nil), "declares no access"},
		{"a public endpoint that is costly", raw(op{Method: "GET", Path: "/x", Access: Public, Costly: true}, nil), "public"},
		{"a required field that cannot be absent", endpoint(op{Method: "POST", Path: "/x", Access: Write},
			func(_ context.Context, _ requiredInt) (messageOut, error) { return messageOut{}, nil }), "cannot be absent"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.rt.check(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
