package http

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-llm/gatehouse/lease"
	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
	"github.com/gatehouse-llm/gatehouse/telemetry"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// BenchmarkV1OneCallJob measures a complete /v1/chat/completions request
// on the embedded database with the mock provider: each is a one-call job
// (created with its hold, admitted, called, recorded, completed), written
// before its call. Leased is the same job admitted from memory against a
// credit lease and written once, with its call, as gatehouse serve runs
// it.
func BenchmarkV1OneCallJob(b *testing.B) {
	for _, leased := range []bool{false, true} {
		name := "written-first"
		if leased {
			name = "leased"
		}
		b.Run(name, func(b *testing.B) {
			h := newHarness(b, storetest.OpenSQLite(b))
			if leased {
				h.DB.Instance = "bench"
				if err := h.DB.Heartbeat(context.Background(), h.DB.Instance); err != nil {
					b.Fatal(err)
				}
				h.Meter.Leases = lease.NewManager(h.DB, nil, nil)
			}
			benchV1OneCall(b, h)
		})
	}
}

// BenchmarkV1OneCallJobTelemetry is BenchmarkV1OneCallJob's written-first
// case with metrics and traces on (spans go to an exporter that drops
// them): what observability adds to a call.
func BenchmarkV1OneCallJobTelemetry(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	h := newObservedHarness(b, storetest.OpenSQLite(b), nil, telemetry.New(telemetry.Options{}), tp.Tracer("bench"))
	benchV1OneCall(b, h)
}

// benchV1OneCall provisions one team that may call the mock echo model
// and times /v1/chat/completions calls through h.
func benchV1OneCall(b *testing.B, h *harness) {
	h.admin("POST", "/api/model-aliases/create", `{"alias": "echo", "litellm_model": "mock/echo"}`, 201)
	h.admin("POST", "/api/model-access-groups/create", `{"group_name": "g", "model_aliases": ["echo"]}`, 201)
	h.admin("POST", "/api/organizations/create", `{"organization_id": "o", "name": "O"}`, 201)
	key := h.admin("POST", "/api/teams/create", `{"organization_id": "o", "team_id": "t", "access_groups": ["g"], "credits_allocated": 100000000}`, 201)["virtual_key"].(string)
	body := `{"model": "echo", "messages": [{"role": "user", "content": "hello"}]}`
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req, _ := http.NewRequest("POST", h.Server.URL+"/v1/chat/completions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("%v %v", err, resp)
		}
		// Drained, so the connection is reused as a real client's would be.
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
