package catalog_test

import (
	"fmt"
	"time"

	"github.com/gatehouse-llm/gatehouse/catalog"
)

func ExampleCatalog_Lookup() {
	m, ok := catalog.Default().Lookup("openai", "gpt-4o-mini")
	if !ok {
		return
	}
	p, _ := m.PricesOn(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	fmt.Printf("%s: input $%s, output $%s, cached $%s per 1M tokens\n", m.Name, p.Input, p.Output, p.CacheRead.Value)
	fmt.Println(int64(p.Input), "micro-USD per 1M input tokens")
	// Output:
	// gpt-4o-mini: input $0.15, output $0.60, cached $0.075 per 1M tokens
	// 150000 micro-USD per 1M input tokens
}
