package mock_test

import (
	"context"
	"fmt"

	"github.com/gatehouse-llm/gatehouse/provider"
	"github.com/gatehouse-llm/gatehouse/provider/mock"
)

func ExampleAdapter_Chat() {
	a := mock.New()
	resp, err := a.Chat(context.Background(), provider.Endpoint{}, &provider.ChatRequest{
		Model:    mock.ModelEcho,
		Messages: []provider.Message{{Role: provider.RoleUser, Content: provider.TextContent("Hello, Gatehouse!")}},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.Message.Content.Text())
	fmt.Println(resp.Usage.PromptTokens, resp.Usage.CompletionTokens)
	// Output:
	// Hello, Gatehouse!
	// 8 5
}

func ExampleAdapter_Chat_failure() {
	a := mock.New()
	_, err := a.Chat(context.Background(), provider.Endpoint{}, &provider.ChatRequest{
		Model:    mock.ModelFixed,
		Messages: []provider.Message{{Role: provider.RoleUser, Content: provider.TextContent("[mock:error=429] hi")}},
	})
	pe, _ := provider.AsError(err)
	fmt.Println(pe.Status, pe.Kind, pe.RetryAfter, pe.Retryable())
	// Output:
	// 429 rate_limited 1s true
}
