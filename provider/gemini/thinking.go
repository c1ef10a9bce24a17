package gemini

import (
	"fmt"
	"strconv"
	"strings"
)

// thinkingBudgets maps reasoning_effort to a token budget for models that
// take one (Gemini 1.x/2.x, and any model whose generation the name does
// not reveal: Gemini 3 accepts budgets too, for backwards compatibility).
// low/medium/high follow Google's own OpenAI-compatibility mapping; "none"
// turns thinking off where the model allows it (2.5 Pro does not and
// answers 400, which is passed on).
var thinkingBudgets = map[string]int{
	"none":    0,
	"minimal": 512,
	"low":     1024,
	"medium":  8192,
	"high":    24576,
	"xhigh":   24576,
}

// thinkingLevels maps reasoning_effort to a thinkingLevel for Gemini 3 and
// later, which are tuned for levels rather than budgets. None of them can
// turn thinking off, so "none" asks for the least thinking.
var thinkingLevels = map[string]string{
	"none":    "MINIMAL",
	"minimal": "MINIMAL",
	"low":     "LOW",
	"medium":  "MEDIUM",
	"high":    "HIGH",
	"xhigh":   "HIGH",
}

// thinkingFor returns the thinkingConfig for a reasoning effort, nil when
// the client expressed none.
func thinkingFor(model, effort string) (*thinkingConfig, error) {
	if effort == "" {
		return nil, nil
	}
	effort = strings.ToLower(effort)
	if _, ok := thinkingBudgets[effort]; !ok {
		return nil, fmt.Errorf("reasoning_effort: unsupported value %q", effort)
	}
	if major, ok := geminiMajorVersion(model); ok && major >= 3 {
		level := thinkingLevels[effort]
		// Gemini Pro models offer no MINIMAL level; LOW is their least.
		if level == "MINIMAL" && strings.Contains(model, "-pro") {
			level = "LOW"
		}
		return &thinkingConfig{ThinkingLevel: level}, nil
	}
	budget := thinkingBudgets[effort]
	return &thinkingConfig{ThinkingBudget: &budget}, nil
}

// geminiMajorVersion reads the generation from names like
// "gemini-2.5-flash" or "models/gemini-3-pro-preview"; aliases such as
// "gemini-flash-latest" reveal none.
func geminiMajorVersion(model string) (int, bool) {
	model = model[strings.LastIndex(model, "/")+1:]
	rest, ok := strings.CutPrefix(model, "gemini-")
	if !ok {
		return 0, false
	}
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	major, err := strconv.Atoi(rest[:end])
	if err != nil {
		return 0, false
	}
	return major, true
}
