package mock

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// Model names the mock provider serves; anything else is "model not found".
const (
	ModelEcho  = "echo"
	ModelFixed = "fixed"
	ModelEmbed = "embed"
)

// DefaultFixedText is what the "fixed" model answers unless the endpoint's
// "fixed_text" setting says otherwise.
const DefaultFixedText = "This is a mock response from Gatehouse."

// defaultName is reported in errors when the endpoint does not name the
// provider.
const defaultName = "mock"

// Adapter answers chat and embedding requests locally. It holds no state
// besides its clock, so one value can serve every endpoint concurrently.
type Adapter struct {
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

var (
	_ provider.Adapter  = (*Adapter)(nil)
	_ provider.Embedder = (*Adapter)(nil)
)

// New returns a mock adapter using the real clock.
func New() *Adapter {
	return &Adapter{now: time.Now, sleep: sleepContext}
}

// call is everything decided about one chat request before answering it.
type call struct {
	name       string
	latency    time.Duration
	failStatus int
	// byDirective is true when the failure was asked for by the request's
	// own text, so it concerns that request alone.
	byDirective bool
	reply       reply
}

// prepareChat validates the request and decides the answer. A simulated
// failure is decided before the answer is built, so a test that asks for a
// 429 gets it whatever else is odd about its request.
func (a *Adapter) prepareChat(ep provider.Endpoint, req *provider.ChatRequest) (call, error) {
	c := call{name: providerName(ep)}
	cfg, err := parseSettings(c.name, ep.Extra)
	if err != nil {
		return c, err
	}
	if req == nil || len(req.Messages) == 0 {
		return c, badRequest(c.name, "invalid_request_error", "messages: at least one message is required")
	}
	if err := checkModel(c.name, req.Model, modeChat); err != nil {
		return c, err
	}
	dir, err := parseDirectives(c.name, lastUserText(req.Messages))
	if err != nil {
		return c, err
	}
	c.latency, c.failStatus, err = combine(c.name, cfg, dir)
	c.byDirective = dir.failStatus != 0
	if err != nil || c.failStatus != 0 {
		return c, err
	}
	c.reply, err = buildReply(c.name, req, cfg, dir)
	return c, err
}

// Chat answers in one piece after the configured latency.
func (a *Adapter) Chat(ctx context.Context, ep provider.Endpoint, req *provider.ChatRequest) (*provider.ChatResponse, error) {
	c, err := a.prepareChat(ep, req)
	if err != nil {
		return nil, err
	}
	if err := a.sleep(ctx, c.latency); err != nil {
		return nil, provider.TransportError(ctx, c.name, err)
	}
	if c.failStatus != 0 {
		return nil, simulatedError(c.name, c.failStatus, c.byDirective)
	}
	msg := provider.Message{Role: provider.RoleAssistant}
	if c.reply.toolCall != nil {
		msg.ToolCalls = []provider.ToolCall{*c.reply.toolCall}
	} else {
		msg.Content = provider.TextContent(c.reply.text)
	}
	return &provider.ChatResponse{
		ID:           responseID(req),
		Model:        req.Model,
		Created:      a.now().Unix(),
		Message:      msg,
		FinishReason: c.reply.finish,
		Usage:        c.reply.usage,
	}, nil
}

// ChatStream returns at once with a stream that delivers the answer word by
// word. A simulated failure is returned from here, after the latency, as a
// real upstream's error status would be.
func (a *Adapter) ChatStream(ctx context.Context, ep provider.Endpoint, req *provider.ChatRequest) (provider.Stream, error) {
	c, err := a.prepareChat(ep, req)
	if err != nil {
		return nil, err
	}
	if c.failStatus != 0 {
		if err := a.sleep(ctx, c.latency); err != nil {
			return nil, provider.TransportError(ctx, c.name, err)
		}
		return nil, simulatedError(c.name, c.failStatus, c.byDirective)
	}
	if err := ctx.Err(); err != nil {
		return nil, provider.TransportError(ctx, c.name, err)
	}
	return newStream(ctx, a.sleep, streamChunks(responseID(req), req.Model, c.reply), c.latency), nil
}

// providerName is the name errors carry: the endpoint's, or "mock".
func providerName(ep provider.Endpoint) string {
	if ep.Provider != "" {
		return ep.Provider
	}
	return defaultName
}

// responseID derives the completion ID from the request so that the same
// request always gets the same ID.
func responseID(req *provider.ChatRequest) string {
	h := sha256.New()
	h.Write([]byte(req.Model))
	h.Write([]byte{0})
	body, _ := json.Marshal(req.Messages)
	h.Write(body)
	return "chatcmpl-mock-" + hex.EncodeToString(h.Sum(nil))[:24]
}

// lastUserText is the text of the last user message, "" if there is none.
func lastUserText(msgs []provider.Message) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == provider.RoleUser {
			return msgs[i].Content.Text()
		}
	}
	return ""
}
