package http

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/provider"
)

// docBody describes a JSON response: one item, or a page of items under
// Key. Keyset lists (and one-item answers holding such a list) also take
// ?after= and answer next_after.
type docBody struct {
	Key    string
	Item   any
	Keyset bool
}

func one(v any) *docBody               { return &docBody{Item: v} }
func many(key string, v any) *docBody  { return &docBody{Key: key, Item: v} }
func pages(key string, v any) *docBody { return &docBody{Key: key, Item: v, Keyset: true} }
func onePaged(v any) *docBody          { return &docBody{Item: v, Keyset: true} }

// teamAccessGroupsRequest documents PUT /api/teams/{id}/access-groups
// (which also accepts a bare array).
type teamAccessGroupsRequest struct {
	AccessGroups []string `json:"access_groups"`
}

// callRequestDoc documents an LLM call's body: an OpenAI chat request
// whose model is an alias, plus Gatehouse's fields.
type callRequestDoc struct {
	Model          string             `json:"model"`
	Messages       []provider.Message `json:"messages"`
	Tools          []provider.Tool    `json:"tools"`
	ToolChoice     json.RawMessage    `json:"tool_choice"`
	ResponseFormat json.RawMessage    `json:"response_format"`
	Temperature    float64            `json:"temperature"`
	TopP           float64            `json:"top_p"`
	MaxTokens      int                `json:"max_tokens"`
	Stop           []string           `json:"stop"`
	Seed           int64              `json:"seed"`
	Purpose        string             `json:"purpose"`
	CallMetadata   gatehouse.Metadata `json:"call_metadata"`
}

// loginResponse is what a successful login returns.
type loginResponse struct {
	AccessToken string               `json:"access_token"`
	TokenType   string               `json:"token_type"`
	ExpiresAt   time.Time            `json:"expires_at"`
	User        *gatehouse.AdminUser `json:"user"`
}

// modelListResponse is OpenAI's model list.
type modelListResponse struct {
	Object string        `json:"object"`
	Data   []openAIModel `json:"data"`
}

// openAPI builds the OpenAPI 3.1 document from the route table, so the
// document cannot drift from what the server serves.
func (s *server) openAPI() map[string]any {
	paths := map[string]map[string]any{}
	pathParam := regexp.MustCompile(`\{(\w+)\}`)
	errResp := map[string]any{"description": "Error", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
	for _, rt := range s.routes() {
		if rt.Path == "/openapi.json" || rt.Path == "/docs" {
			continue
		}
		op := map[string]any{"summary": rt.Summary, "operationId": operationID(rt), "tags": []string{tagOf(rt.Path)}}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		if rt.Response != nil && (rt.Response.Key != "" || rt.Response.Keyset) {
			for _, q := range []string{"limit", "offset"} {
				params = append(params, map[string]any{"name": q, "in": "query", "schema": map[string]any{"type": "integer", "minimum": 0}})
			}
		}
		if rt.Response != nil && rt.Response.Keyset {
			params = append(params, map[string]any{"name": "after", "in": "query", "schema": map[string]any{"type": "string"},
				"description": "the next_after of the previous page: continues the list from there through an index, at any depth"})
		}
		if params != nil {
			op["parameters"] = params
		}
		switch rt.Access {
		case public:
			op["security"] = []any{}
		case teamKey:
			op["security"] = []any{map[string]any{"teamKey": []string{}}}
		case teamOrViewer:
			op["security"] = []any{map[string]any{"teamKey": []string{}}, map[string]any{"adminToken": []string{}}, map[string]any{"adminKeyHeader": []string{}}}
		default:
			op["security"] = []any{map[string]any{"adminToken": []string{}}, map[string]any{"adminKeyHeader": []string{}}}
			op["x-gatehouse-role"] = minRole[rt.Access]
		}
		if rt.Body != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(rt.Body))}}}
		}
		okStatus := "200"
		if strings.HasSuffix(rt.Path, "/create") || (rt.Method == "POST" && (strings.HasSuffix(rt.Path, "/keys") || strings.HasSuffix(rt.Path, "/rotate") || rt.Path == "/api/admin-users")) {
			okStatus = "201"
		}
		var body map[string]any
		if rt.Response != nil {
			item := schemaOf(reflect.TypeOf(rt.Response.Item))
			if rt.Response.Key != "" {
				props := map[string]any{
					rt.Response.Key: map[string]any{"type": "array", "items": item},
					"total":         map[string]any{"type": "integer"}, "limit": map[string]any{"type": "integer"}, "offset": map[string]any{"type": "integer"},
				}
				if rt.Response.Keyset {
					props["next_after"] = map[string]any{"type": "string"}
					props["total_capped"] = map[string]any{"type": "boolean"}
				}
				item = map[string]any{"type": "object", "properties": props}
			}
			body = map[string]any{"application/json": map[string]any{"schema": item}}
		} else {
			body = map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}
		}
		responses := map[string]any{okStatus: map[string]any{"description": "OK", "content": body}}
		if rt.Access != public {
			responses["401"] = errResp
			responses["403"] = errResp
		}
		if rt.Body != nil {
			responses["400"] = errResp
		}
		if len(params) > 0 || rt.Body != nil {
			responses["404"] = errResp
		}
		if rt.Method != "GET" && rt.Access != public {
			responses["409"] = errResp
		}
		op["responses"] = responses
		if paths[rt.Path] == nil {
			paths[rt.Path] = map[string]any{}
		}
		paths[rt.Path][strings.ToLower(rt.Method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "Gatehouse", "version": s.Version,
			"description": "Multi-tenant LLM gateway: management API (admin credentials) and client API (team virtual keys). Every error has the shape {\"error\":{\"code\",\"message\",\"field\"}}."},
		"paths": paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"adminToken":     map[string]any{"type": "http", "scheme": "bearer", "description": "The master key or an admin session token"},
				"adminKeyHeader": map[string]any{"type": "apiKey", "in": "header", "name": "X-Admin-Key"},
				"teamKey":        map[string]any{"type": "http", "scheme": "bearer", "description": "A team's virtual key (also accepted as x-api-key)"},
			},
			"schemas": map[string]any{"Error": map[string]any{"type": "object", "required": []string{"error"}, "properties": map[string]any{
				"error": map[string]any{"type": "object", "required": []string{"code", "message"}, "properties": map[string]any{
					"code": map[string]any{"type": "string"}, "message": map[string]any{"type": "string"}, "field": map[string]any{"type": "string"}}}}}},
		},
	}
}

func operationID(rt route) string {
	clean := strings.NewReplacer("/api/", "", "/v1/", "v1_", "{", "", "}", "", "/", "_", "-", "_").Replace(rt.Path)
	return strings.ToLower(rt.Method) + "_" + strings.Trim(clean, "_")
}

func tagOf(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if parts[0] == "api" && len(parts) > 1 {
		return parts[1]
	}
	if parts[0] == "v1" {
		return "client"
	}
	return "operations"
}

var (
	timeType    = reflect.TypeOf(time.Time{})
	stampType   = reflect.TypeOf(timestamp{})
	creditsType = reflect.TypeOf(gatehouse.Credits(0))
	percentType = reflect.TypeOf(percentBP(0))
	rawType     = reflect.TypeOf(json.RawMessage{})
	metaType    = reflect.TypeOf(gatehouse.Metadata{})
	usdType     = reflect.TypeOf(usd(0))
	usdNumType  = reflect.TypeOf(usdNum(0))
	marshalType = reflect.TypeOf((*json.Marshaler)(nil)).Elem()
)

// schemaOf derives a JSON Schema from a Go type the way encoding/json
// would encode it.
func schemaOf(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case timeType, stampType:
		return map[string]any{"type": "string", "format": "date-time"}
	case creditsType:
		return map[string]any{"type": "number", "description": "credits, at most 6 decimal places"}
	case percentType:
		return map[string]any{"type": "number", "minimum": 0, "maximum": maxMarkupPercent}
	case rawType:
		return map[string]any{}
	case metaType:
		return map[string]any{"type": "object", "additionalProperties": true}
	case usdType:
		return map[string]any{"type": "string", "description": "USD amount, exact decimal (e.g. \"2.50\")"}
	case usdNumType:
		return map[string]any{"type": "number"}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem())}
	case reflect.Struct:
		props := map[string]any{}
		addFields(t, props)
		return map[string]any{"type": "object", "properties": props}
	}
	return map[string]any{}
}

// addFields adds a struct's JSON fields, flattening embedded structs as
// encoding/json does (outer fields win).
func addFields(t reflect.Type, props map[string]any) {
	var embedded []reflect.Type
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			et := f.Type
			for et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct && !et.Implements(marshalType) {
				embedded = append(embedded, et)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		props[name] = schemaOf(f.Type)
	}
	for _, et := range embedded {
		inner := map[string]any{}
		addFields(et, inner)
		for k, v := range inner {
			if _, ok := props[k]; !ok {
				props[k] = v
			}
		}
	}
}

func handleOpenAPI(s *server) http.Handler {
	doc := sync.OnceValue(func() []byte {
		b, _ := json.MarshalIndent(s.openAPI(), "", "  ")
		return b
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc())
	})
}
