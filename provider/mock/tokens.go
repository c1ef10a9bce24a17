package mock

import "github.com/gatehouse-llm/gatehouse/provider"

// Token rule (see the package documentation): deliberately simple so that a
// customer's test can compute the expected usage by hand.
const (
	bytesPerToken    = 4
	tokensPerMessage = 3
	tokensPerImage   = 85
)

// textTokens is ceil(len(s)/4): the tokens of a text of len(s) bytes.
func textTokens(s string) int {
	return (len(s) + bytesPerToken - 1) / bytesPerToken
}

// promptTokens counts a request's messages: their text, 3 per message and
// 85 per image.
func promptTokens(msgs []provider.Message) int {
	n := 0
	for _, m := range msgs {
		images := 0
		text := make([]byte, 0, 64)
		for _, p := range m.Content.Parts {
			if p.Type == provider.PartImage {
				images++
				continue
			}
			text = append(text, p.Text...)
		}
		for _, tc := range m.ToolCalls {
			text = append(text, tc.Function.Name...)
			text = append(text, tc.Function.Arguments...)
		}
		n += textTokens(string(text)) + tokensPerMessage + images*tokensPerImage
	}
	return n
}

// usageFor is the usage of an answer to msgs whose completion has the given
// number of tokens.
func usageFor(msgs []provider.Message, completion int) provider.Usage {
	prompt := promptTokens(msgs)
	return provider.Usage{
		PromptTokens:     prompt,
		CompletionTokens: completion,
		TotalTokens:      prompt + completion,
	}
}
