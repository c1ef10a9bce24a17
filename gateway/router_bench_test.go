package gateway

import (
	"context"
	"testing"

	"github.com/gatehouse-llm/gatehouse"
)

// BenchmarkPick measures routing one call: choosing a deployment, its
// credential, breaker and limits, for an alias of one deployment and one
// of four (two tiers) under each strategy.
func BenchmarkPick(b *testing.B) {
	st, caller := world("http://127.0.0.1:1", "http://127.0.0.1:2")
	g, _ := testGateway(st, Options{})
	snap := st.Snapshot()
	four := []gatehouse.Deployment{
		{ID: "a", LiteLLMModel: "openai/gpt-4", Weight: 1, APIBase: "http://127.0.0.1:3"},
		{ID: "b", LiteLLMModel: "openai/gpt-4", Weight: 3, APIBase: "http://127.0.0.1:4"},
		{ID: "c", LiteLLMModel: "openai/gpt-4", Weight: 1, RPM: 1 << 40},
		{ID: "d", LiteLLMModel: "openai/gpt-4", Order: 1},
	}
	cases := []struct {
		name string
		a    *gatehouse.Alias
	}{{"one", snap.Alias("primary")}}
	for _, s := range gatehouse.RoutingStrategies {
		cases = append(cases, struct {
			name string
			a    *gatehouse.Alias
		}{"four-" + s, &gatehouse.Alias{Alias: "four-" + s, Active: true, RoutingStrategy: s, Deployments: four}})
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p, _, err := g.pick(context.Background(), snap, caller, c.a, 0, 100)
				if err != nil {
					b.Fatal(err)
				}
				p.release(100)
			}
		})
	}
}
