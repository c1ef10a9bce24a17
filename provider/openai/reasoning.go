package openai

import (
	"strconv"
	"strings"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// reasoningFamilies are OpenAI's reasoning-model families. They take
// max_completion_tokens (max_tokens is refused) and accept only the default
// temperature and top_p of 1. This list is the one place that decides what
// a reasoning model is; add a family here when OpenAI ships one.
var reasoningFamilies = []string{"o1", "o3", "o4-mini", "gpt-5"}

// IsReasoningModel reports whether an OpenAI model name belongs to a
// reasoning family. A family matches its own name and any name continuing
// with "-" or "." (o3-mini, o4-mini-2025-04-16, gpt-5.1), also behind a
// fine-tune prefix ("ft:o4-mini-2025-04-16:org::id"). On Azure the name is
// the deployment name, so deployments named after their model are
// recognised and others are not.
func IsReasoningModel(model string) bool {
	m := strings.ToLower(strings.TrimPrefix(model, "ft:"))
	for _, family := range reasoningFamilies {
		rest, ok := strings.CutPrefix(m, family)
		if ok && (rest == "" || rest[0] == '-' || rest[0] == '.' || rest[0] == ':') {
			return true
		}
	}
	return false
}

// applyReasoningRules rewrites a body for a reasoning model: the token
// limit moves to max_completion_tokens, and temperature/top_p are dropped
// when they equal the only accepted value (1) or refused locally otherwise,
// naming the model and the parameter so the caller can fix the request.
func applyReasoningRules(up *upstream, body *chatBody) error {
	if body.MaxTokens != nil {
		body.MaxCompletionTokens, body.MaxTokens = body.MaxTokens, nil
	}
	for _, p := range []struct {
		name  string
		value **float64
	}{{"temperature", &body.Temperature}, {"top_p", &body.TopP}} {
		v := *p.value
		if v == nil {
			continue
		}
		if *v != 1 {
			return &provider.Error{Provider: up.name, Kind: provider.ErrBadRequest,
				Message: "model " + strconv.Quote(body.Model) + " is a reasoning model and does not support " +
					p.name + "=" + strconv.FormatFloat(*v, 'g', -1, 64) + "; only the default (1) is allowed"}
		}
		*p.value = nil
	}
	return nil
}
