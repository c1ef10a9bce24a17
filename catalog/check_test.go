package catalog

import (
	"testing"

	"github.com/gatehouse-llm/gatehouse"
)

func TestCheckModel(t *testing.T) {
	c := Default()
	price := &gatehouse.Pricing{InputPerM: 1, OutputPerM: 2}
	tests := []struct {
		model     string
		pricing   *gatehouse.Pricing
		active    bool
		wantField string // "" = accepted
	}{
		{"openai/gpt-4", nil, true, ""},
		{"anthropic/claude-3-opus-20240229", nil, true, ""},
		{"gemini/gemini-pro", nil, true, ""},
		{"bedrock/meta.llama3-70b-instruct-v1:0", nil, true, ""},
		{"mock/echo", nil, true, ""},
		{"openai/gpt-unknown", nil, true, "litellm_model"},
		{"openai/gpt-unknown", price, true, ""},
		{"openai/gpt-unknown", nil, false, ""},
		{"azure/my-deployment", nil, true, "pricing"},
		{"azure/my-deployment", price, true, ""},
		{"madeup/model", price, true, "litellm_model"},
		{"gpt-4", nil, true, "litellm_model"},
	}
	for _, tt := range tests {
		err := c.CheckModel(tt.model, tt.pricing, tt.active)
		var field string
		if e, ok := err.(*gatehouse.Error); ok {
			field = e.Field
		} else if err != nil {
			t.Fatalf("%s: unexpected error type %T", tt.model, err)
		}
		if field != tt.wantField {
			t.Errorf("CheckModel(%q, %v, %v) = %v; want field %q", tt.model, tt.pricing, tt.active, err, tt.wantField)
		}
	}
}
