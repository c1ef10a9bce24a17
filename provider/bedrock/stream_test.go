package bedrock

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// ck builds an expected chunk carrying the stream's id and model.
func ck(c provider.Chunk) provider.Chunk {
	c.ID, c.Model = testRequestID, testModel
	return c
}

// TestStreamMapping replays canned ConverseStream answers
// (testdata/*.stream.json, encoded with the real eventstream Encoder) and
// checks the exact chunk sequence, one chunk per frame, ending in io.EOF.
func TestStreamMapping(t *testing.T) {
	cases := []struct {
		file   string
		format *provider.ResponseFormat
		want   []provider.Chunk
	}{
		{file: "text.stream.json", want: []provider.Chunk{
			ck(provider.Chunk{Role: "assistant"}),
			ck(provider.Chunk{Content: "Hello"}),
			ck(provider.Chunk{Content: " there!"}),
			ck(provider.Chunk{}),
			ck(provider.Chunk{FinishReason: "stop"}),
			ck(provider.Chunk{Usage: &provider.Usage{PromptTokens: 12, CompletionTokens: 3, TotalTokens: 15}}),
		}},
		{file: "tool_calls.stream.json", want: []provider.Chunk{
			ck(provider.Chunk{Role: "assistant"}),
			ck(provider.Chunk{Content: "Checking both."}),
			ck(provider.Chunk{}),
			ck(provider.Chunk{ToolCalls: []provider.ToolCallDelta{{Index: 0, ID: "tooluse_8fYh2kQeTnOq3v1LwZx0Aa", Name: "get_weather"}}}),
			ck(provider.Chunk{ToolCalls: []provider.ToolCallDelta{{Index: 0, Arguments: `{"city":`}}}),
			ck(provider.Chunk{ToolCalls: []provider.ToolCallDelta{{Index: 0, Arguments: ` "Paris"}`}}}),
			ck(provider.Chunk{}),
			ck(provider.Chunk{ToolCalls: []provider.ToolCallDelta{{Index: 1, ID: "tooluse_Qm4Rz7XbUc2Vd9EeFf1Gg2", Name: "get_weather"}}}),
			ck(provider.Chunk{ToolCalls: []provider.ToolCallDelta{{Index: 1, Arguments: `{"city": "Berlin"}`}}}),
			ck(provider.Chunk{}),
			ck(provider.Chunk{FinishReason: "tool_calls"}),
			// inputTokens 410 + cache read 1500 + cache write 500.
			ck(provider.Chunk{Usage: &provider.Usage{PromptTokens: 2410, CompletionTokens: 98, TotalTokens: 2508, CachedTokens: 1500, CacheWriteTokens: 500}}),
		}},
		{file: "json_mode.stream.json",
			format: &provider.ResponseFormat{Type: provider.FormatJSONSchema, JSONSchema: &provider.JSONSchema{Name: "color_list", Schema: []byte(`{"type":"object"}`)}},
			want: []provider.Chunk{
				ck(provider.Chunk{Role: "assistant"}),
				ck(provider.Chunk{}),
				ck(provider.Chunk{Content: `{"colors": ["red",`}),
				ck(provider.Chunk{Content: ` "green", "blue"]}`}),
				ck(provider.Chunk{}),
				ck(provider.Chunk{FinishReason: "stop"}),
				ck(provider.Chunk{Usage: &provider.Usage{PromptTokens: 380, CompletionTokens: 45, TotalTokens: 425}}),
			}},
		{file: "reasoning.stream.json", want: []provider.Chunk{
			ck(provider.Chunk{Role: "assistant"}),
			ck(provider.Chunk{}),
			ck(provider.Chunk{}),
			ck(provider.Chunk{}),
			ck(provider.Chunk{Content: "42"}),
			ck(provider.Chunk{}),
			ck(provider.Chunk{FinishReason: "length"}),
			ck(provider.Chunk{Usage: &provider.Usage{PromptTokens: 40, CompletionTokens: 61, TotalTokens: 101}}),
		}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			f := newFake(t, streamAnswer(t, loadScript(t, tc.file)))
			req := textRequest()
			req.ResponseFormat = tc.format
			s, err := newTestAdapter().ChatStream(context.Background(), f.sigV4Endpoint(false), req)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			got, err := collect(t, s)
			if !errors.Is(err, io.EOF) {
				t.Fatalf("stream ended with %v, want io.EOF", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				gj, _ := json.MarshalIndent(got, "", " ")
				wj, _ := json.MarshalIndent(tc.want, "", " ")
				t.Errorf("chunks mismatch\n got: %s\nwant: %s", gj, wj)
			}
			if _, err := s.Recv(); !errors.Is(err, io.EOF) {
				t.Errorf("Recv after end = %v, want io.EOF again", err)
			}
		})
	}
}

// TestStreamPassThrough proves frames are forwarded as they arrive: the
// upstream sends one frame and then blocks until the test has received
// that frame's chunk.
func TestStreamPassThrough(t *testing.T) {
	release := make(chan struct{})
	first := encodeFrame(t, scriptedFrame{Event: "contentBlockDelta", Payload: json.RawMessage(`{"contentBlockIndex":0,"delta":{"text":"first"},"p":"abc"}`)})
	var rest []byte
	for _, f := range minimalStream[1:] {
		rest = append(rest, encodeFrame(t, f)...)
	}
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
		w.WriteHeader(200)
		_, _ = w.Write(first)
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-time.After(10 * time.Second):
		}
		_, _ = w.Write(rest)
	})
	type result struct {
		s   provider.Stream
		c   *provider.Chunk
		err error
	}
	got := make(chan result, 1)
	go func() {
		s, err := newTestAdapter().ChatStream(context.Background(), f.sigV4Endpoint(false), textRequest())
		if err != nil {
			got <- result{err: err}
			return
		}
		c, err := s.Recv()
		got <- result{s, c, err}
	}()
	var s provider.Stream
	select {
	case r := <-got:
		if r.err != nil || r.c.Content != "first" {
			t.Fatalf("first Recv = %+v, %v; want content \"first\"", r.c, r.err)
		}
		s = r.s
	case <-time.After(3 * time.Second):
		close(release)
		t.Fatal("first chunk was not delivered before the upstream finished")
	}
	defer s.Close()
	close(release)
	rest2, err := collect(t, s)
	if !errors.Is(err, io.EOF) || len(rest2) != 2 || rest2[0].FinishReason != "stop" || rest2[1].Usage == nil {
		t.Errorf("rest of stream = %+v, %v", rest2, err)
	}
}

// TestStreamTruncated ends the body before the metadata event, at a frame
// boundary and inside a frame.
func TestStreamTruncated(t *testing.T) {
	frames := loadScript(t, "text.stream.json")
	var all [][]byte
	for _, f := range frames {
		all = append(all, encodeFrame(t, f))
	}
	cases := []struct {
		name     string
		body     [][]byte
		wantRecv int // chunks received before the error
	}{
		{"after messageStop", all[:5], 5},
		{"no frames at all", nil, 0},
		{"inside the metadata frame", append(append([][]byte{}, all[:5]...), all[5][:20]), 5},
		{"inside the prelude", append(append([][]byte{}, all[:2]...), all[2][:5]), 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, rawStreamAnswer(tc.body...))
			s, err := newTestAdapter().ChatStream(context.Background(), f.sigV4Endpoint(false), textRequest())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			got, err := collect(t, s)
			providerError(t, err, provider.ErrStreamTruncated)
			if len(got) != tc.wantRecv {
				t.Errorf("received %d chunks before the error, want %d", len(got), tc.wantRecv)
			}
			if _, err2 := s.Recv(); err2 != err {
				t.Errorf("Recv after failure = %v, want the same error", err2)
			}
		})
	}
}

// TestStreamExceptions maps exception frames sent after HTTP 200.
func TestStreamExceptions(t *testing.T) {
	cases := []struct {
		exception string
		kind      provider.ErrorKind
	}{
		{"throttlingException", provider.ErrRateLimited},
		{"validationException", provider.ErrBadRequest},
		{"modelStreamErrorException", provider.ErrServer},
		{"internalServerException", provider.ErrServer},
		{"serviceUnavailableException", provider.ErrServer},
		{"somethingNewException", provider.ErrServer},
	}
	for _, tc := range cases {
		t.Run(tc.exception, func(t *testing.T) {
			f := newFake(t, streamAnswer(t, []scriptedFrame{
				minimalStream[0],
				{Exception: tc.exception, Payload: json.RawMessage(`{"message":"Too many tokens, please wait before trying again."}`)},
			}))
			s, err := newTestAdapter().ChatStream(context.Background(), f.sigV4Endpoint(false), textRequest())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			got, err := collect(t, s)
			pe := providerError(t, err, tc.kind)
			if len(got) != 1 || pe.Code != tc.exception || pe.Message != "Too many tokens, please wait before trying again." || pe.Provider != "bedrock" {
				t.Errorf("got %d chunks, error %+v", len(got), pe)
			}
		})
	}
}

// TestStreamMalformed covers payloads and frames that are not what
// Bedrock sends.
func TestStreamMalformed(t *testing.T) {
	good := encodeFrame(t, minimalStream[0])
	corrupt := bytes.Clone(good)
	corrupt[len(corrupt)-1] ^= 0xff // message CRC
	hugeLength := bytes.Clone(good)
	hugeLength[0] = 0x7f // total length far beyond any real frame

	var unknownType bytes.Buffer
	var msg eventstream.Message
	msg.Headers.Set(":message-type", eventstream.StringValue("gossip"))
	_ = eventstream.NewEncoder().Encode(&unknownType, msg)

	cases := []struct {
		name string
		body []byte
	}{
		{"malformed JSON payload", encodeFrame(t, scriptedFrame{Event: "contentBlockDelta", Payload: json.RawMessage(`{"contentBlockIndex":0,"delta":{"text":`)})},
		{"bad checksum", corrupt},
		{"absurd frame length", hugeLength},
		{"unknown message type", unknownType.Bytes()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, rawStreamAnswer(tc.body, encodeFrame(t, minimalStream[2])))
			s, err := newTestAdapter().ChatStream(context.Background(), f.sigV4Endpoint(false), textRequest())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			_, err = s.Recv()
			providerError(t, err, provider.ErrBadResponse)
		})
	}
}

// TestStreamClose is idempotent and unblocks nothing it should not.
func TestStreamClose(t *testing.T) {
	f := newFake(t, streamAnswer(t, minimalStream))
	s, err := newTestAdapter().ChatStream(context.Background(), f.sigV4Endpoint(false), textRequest())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	if _, err := s.Recv(); err == nil || errors.Is(err, io.EOF) {
		t.Errorf("Recv after Close = %v, want an error", err)
	}
}

// TestStreamErrorMessage maps the event-stream "error" message type, which
// carries its code and message in headers.
func TestStreamErrorMessage(t *testing.T) {
	var buf bytes.Buffer
	var msg eventstream.Message
	msg.Headers.Set(":message-type", eventstream.StringValue("error"))
	msg.Headers.Set(":error-code", eventstream.StringValue("ThrottlingException"))
	msg.Headers.Set(":error-message", eventstream.StringValue("Rate exceeded"))
	if err := eventstream.NewEncoder().Encode(&buf, msg); err != nil {
		t.Fatal(err)
	}
	f := newFake(t, rawStreamAnswer(buf.Bytes()))
	s, err := newTestAdapter().ChatStream(context.Background(), f.sigV4Endpoint(false), textRequest())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.Recv()
	pe := providerError(t, err, provider.ErrRateLimited)
	if pe.Code != "ThrottlingException" || pe.Message != "Rate exceeded" {
		t.Errorf("error = %+v", pe)
	}
}

// TestStreamGarbageNeverPanics feeds random and mutated bytes to the frame
// reader; every outcome must be a chunk or a classified *provider.Error.
func TestStreamGarbageNeverPanics(t *testing.T) {
	valid := encodeFrame(t, loadScript(t, "tool_calls.stream.json")[3])
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		var body []byte
		if i%2 == 0 {
			body = make([]byte, rng.IntN(64))
			for j := range body {
				body[j] = byte(rng.UintN(256))
			}
		} else {
			body = bytes.Clone(valid)
			body[rng.IntN(len(body))] ^= byte(1 + rng.UintN(255))
			body = body[:rng.IntN(len(body)+1)]
		}
		s := newStream(context.Background(), "bedrock", &http.Response{Body: io.NopCloser(bytes.NewReader(body)), Header: http.Header{}}, testModel, "", nil)
		for n := 0; n < 10; n++ {
			_, err := s.Recv()
			if err == nil {
				continue
			}
			// Mutated headers may turn a frame into any exception kind, so
			// only the error's type is checked.
			if _, ok := provider.AsError(err); !ok {
				t.Fatalf("body %x: error %v is not a *provider.Error", body, err)
			}
			break
		}
	}
}
