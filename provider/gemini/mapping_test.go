package gemini

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/gatehouse-llm/gatehouse/provider"
)

func TestToolChoice(t *testing.T) {
	tests := []struct {
		in   string
		want *toolConfig
	}{
		{``, nil},
		{`null`, nil},
		{`"auto"`, &toolConfig{FunctionCallingConfig: functionCallingConfig{Mode: "AUTO"}}},
		{`"none"`, &toolConfig{FunctionCallingConfig: functionCallingConfig{Mode: "NONE"}}},
		{`"required"`, &toolConfig{FunctionCallingConfig: functionCallingConfig{Mode: "ANY"}}},
		{`{"type":"function","function":{"name":"lookup"}}`, &toolConfig{FunctionCallingConfig: functionCallingConfig{Mode: "ANY", AllowedFunctionNames: []string{"lookup"}}}},
	}
	for _, tt := range tests {
		got, err := mapToolChoice(json.RawMessage(tt.in))
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestThinking(t *testing.T) {
	budget := func(n int) *thinkingConfig { return &thinkingConfig{ThinkingBudget: &n} }
	level := func(l string) *thinkingConfig { return &thinkingConfig{ThinkingLevel: l} }
	tests := []struct {
		model, effort string
		want          *thinkingConfig
	}{
		{"gemini-2.5-flash", "", nil},
		{"gemini-2.5-flash", "none", budget(0)},
		{"gemini-2.5-flash", "minimal", budget(512)},
		{"gemini-2.5-flash", "low", budget(1024)},
		{"models/gemini-2.5-pro", "MEDIUM", budget(8192)},
		{"gemini-2.0-flash-thinking-exp", "high", budget(24576)},
		{"gemini-2.5-flash", "xhigh", budget(24576)},
		{"gemini-flash-latest", "low", budget(1024)},
		{"gemini-3-flash-preview", "none", level("MINIMAL")},
		{"gemini-3-flash-preview", "minimal", level("MINIMAL")},
		{"gemini-3-flash-preview", "medium", level("MEDIUM")},
		{"gemini-3-pro-preview", "minimal", level("LOW")},
		{"gemini-3.1-pro-preview", "low", level("LOW")},
		{"models/gemini-3-pro-preview", "high", level("HIGH")},
		{"gemini-10-ultra", "xhigh", level("HIGH")},
	}
	for _, tt := range tests {
		got, err := thinkingFor(tt.model, tt.effort)
		if err != nil {
			t.Errorf("%s/%s: %v", tt.model, tt.effort, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s/%s: got %+v, want %+v", tt.model, tt.effort, got, tt.want)
		}
	}
}

func TestMethodURL(t *testing.T) {
	tests := []struct {
		base, model, want string
	}{
		{"", "gemini-2.5-flash", "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent"},
		{"https://proxy.example/", "gemini-2.5-flash", "https://proxy.example/v1beta/models/gemini-2.5-flash:generateContent"},
		{"https://proxy.example/google/v1beta", "models/gemini-2.5-flash", "https://proxy.example/google/v1beta/models/gemini-2.5-flash:generateContent"},
		{"https://proxy.example/v1", "gemini-2.5-flash", "https://proxy.example/v1/models/gemini-2.5-flash:generateContent"},
		{"", "tunedModels/my-model-1", "https://generativelanguage.googleapis.com/v1beta/tunedModels/my-model-1:generateContent"},
		{"", "../../files/x?key=1", "https://generativelanguage.googleapis.com/v1beta/models/..%2F..%2Ffiles%2Fx%3Fkey=1:generateContent"},
	}
	for _, tt := range tests {
		got := methodURL(provider.Endpoint{BaseURL: tt.base}, tt.model, "generateContent")
		if got != tt.want {
			t.Errorf("methodURL(%q, %q) = %q, want %q", tt.base, tt.model, got, tt.want)
		}
	}
}

func TestToolCallIDSignature(t *testing.T) {
	tests := []struct {
		upstreamID, signature, wantID string
		index                         int
	}{
		{"", "", "call_0", 0},
		{"", "", "call_7", 7},
		{"fc-abc", "", "fc-abc", 0},
		{"", "+/8AAQ==", "call_2_gsig_-_8AAQ", 2},
		{"fc-abc", "AAEC/w==", "fc-abc_gsig_AAEC_w", 0},
		{"", "not base64!", "call_0", 0},
		{"evil_gsig_AAAA", "", "call_1", 1},
	}
	for _, tt := range tests {
		id := toolCallID(tt.upstreamID, tt.index, tt.signature)
		if id != tt.wantID {
			t.Errorf("toolCallID(%q, %d, %q) = %q, want %q", tt.upstreamID, tt.index, tt.signature, id, tt.wantID)
			continue
		}
		wantSig := tt.signature
		if tt.signature == "not base64!" {
			wantSig = ""
		}
		if sig := signatureFromID(id); sig != wantSig {
			t.Errorf("signatureFromID(%q) = %q, want %q", id, sig, wantSig)
		}
	}
	for _, foreign := range []string{"call_abc123", "toolu_01A09q90qw90lq917835lq9", "tooluse_x_gsig_!!!"} {
		if sig := signatureFromID(foreign); sig != "" {
			t.Errorf("signatureFromID(%q) = %q, want none", foreign, sig)
		}
	}
}

func TestUsageMapping(t *testing.T) {
	got := mapUsage(&usageMetadata{PromptTokenCount: 1000, CachedContentTokenCount: 800, CandidatesTokenCount: 50,
		ToolUsePromptTokenCount: 20, ThoughtsTokenCount: 150, TotalTokenCount: 1220})
	want := provider.Usage{PromptTokens: 1020, CompletionTokens: 200, TotalTokens: 1220, CachedTokens: 800, ReasoningTokens: 150}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
