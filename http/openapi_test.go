package http

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
)

// The OpenAPI document describes every route the server serves, with its
// security and body schema, and nothing else.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite(t))
	r := h.do("GET", "/openapi.json", "", "")
	if r.Status != 200 || r.Body["openapi"] != "3.1.0" {
		t.Fatalf("/openapi.json: %d %.200s", r.Status, r.Raw)
	}
	paths := r.Body["paths"].(map[string]any)
	routes := (&server{Deps: Deps{Store: h.DB, State: h.State}}).routes()
	documented := 0
	for _, rt := range routes {
		if rt.Path == "/openapi.json" || rt.Path == "/docs" {
			continue
		}
		ops, ok := paths[rt.Path].(map[string]any)
		if !ok {
			t.Errorf("%s %s is not documented", rt.Method, rt.Path)
			continue
		}
		op, ok := ops[strings.ToLower(rt.Method)].(map[string]any)
		if !ok {
			t.Errorf("%s %s is not documented", rt.Method, rt.Path)
			continue
		}
		documented++
		if op["summary"] != rt.Summary {
			t.Errorf("%s %s: summary %v", rt.Method, rt.Path, op["summary"])
		}
		sec, _ := json.Marshal(op["security"])
		switch {
		case rt.Access == public && string(sec) != "[]",
			rt.Access == teamKey && !strings.Contains(string(sec), "teamKey"),
			rt.Access >= session && !strings.Contains(string(sec), "adminToken"):
			t.Errorf("%s %s: security %s does not match access %d", rt.Method, rt.Path, sec, rt.Access)
		}
		if (rt.Body != nil) != (op["requestBody"] != nil) {
			t.Errorf("%s %s: requestBody documented=%v, route takes a body=%v", rt.Method, rt.Path, op["requestBody"] != nil, rt.Body != nil)
		}
		if strings.Contains(rt.Path, "{") && op["parameters"] == nil {
			t.Errorf("%s %s: path parameters not documented", rt.Method, rt.Path)
		}
	}
	count := 0
	for _, ops := range paths {
		count += len(ops.(map[string]any))
	}
	if count != documented {
		t.Errorf("the document has %d operations, the server %d routes", count, documented)
	}
	// A request schema reflects the real request type.
	create := paths["/api/model-aliases/create"].(map[string]any)["post"].(map[string]any)
	b, _ := json.Marshal(create["requestBody"])
	for _, field := range []string{"alias", "litellm_model", "description", "active", "pricing", "fallbacks", "metadata"} {
		if !strings.Contains(string(b), `"`+field+`"`) {
			t.Errorf("alias create request schema lacks %s: %s", field, b)
		}
	}
	page := h.do("GET", "/docs", "", "")
	if page.Status != 200 || !strings.Contains(page.Raw, "/api/model-aliases/create") || !strings.Contains(page.Header.Get("Content-Type"), "text/html") {
		t.Errorf("/docs: %d %s", page.Status, page.Header.Get("Content-Type"))
	}
}
