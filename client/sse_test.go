package client

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestSSEReader(t *testing.T) {
	in := ": a comment\n" +
		"event: message\nid: 7\ndata: {\"a\":1}\n\n" +
		"data:no-space\r\n\r\n" +
		"data: line one\ndata: line two\n\n" +
		"retry: 100\n\n" + // no data: skipped
		"data: [DONE]\n\n"
	r := newSSEReader(strings.NewReader(in))
	for _, want := range []string{`{"a":1}`, "no-space", "line one\nline two", "[DONE]"} {
		got, err := r.next()
		if err != nil || string(got) != want {
			t.Fatalf("next = %q, %v; want %q", got, err, want)
		}
	}
	if _, err := r.next(); err != io.EOF {
		t.Fatalf("at the end: %v, want io.EOF", err)
	}
}

func TestSSEReaderCutEvent(t *testing.T) {
	for _, in := range []string{"data: {\"a\"", "data: {\"a\":1}\n"} {
		r := newSSEReader(strings.NewReader(in))
		if _, err := r.next(); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("%q: error %v, want io.ErrUnexpectedEOF", in, err)
		}
	}
}

func TestSSEReaderLongLinesAndLimit(t *testing.T) {
	long := strings.Repeat("x", 100<<10) // longer than the read buffer
	r := newSSEReader(strings.NewReader("data: " + long + "\n\n"))
	if got, err := r.next(); err != nil || string(got) != long {
		t.Fatalf("long event: %d bytes, %v", len(got), err)
	}
	huge := strings.Repeat("y", maxEventBytes+1)
	r = newSSEReader(strings.NewReader("data: " + huge + "\n\n"))
	if _, err := r.next(); !errors.Is(err, errEventTooLarge) {
		t.Fatalf("huge event: %v", err)
	}
}

func TestDecodeEvent(t *testing.T) {
	ev, err, ok := decodeEvent([]byte(`{"type":"delta","content":"Hi","tool_calls":[{"index":0,"id":"c","name":"f","arguments":"{"}]}`))
	if !ok || err != nil || ev.Content != "Hi" || ev.ToolCalls[0].Name != "f" {
		t.Fatalf("delta: %+v %v %v", ev, err, ok)
	}
	ev, err, ok = decodeEvent([]byte(`{"type":"done","call_id":"c1","finish_reason":"stop","usage":{"total_tokens":5},"cost_usd":0.000125,"credits_charged":0.5}`))
	if !ok || err != nil || ev.Done == nil || ev.Done.CallID != "c1" || ev.Done.CostUSD != 125 || ev.Done.CreditsCharged != OneCredit/2 || ev.FinishReason != "stop" {
		t.Fatalf("done: %+v %v %v", ev, err, ok)
	}
	ev, err, ok = decodeEvent([]byte(`{"type":"error","error":{"code":"provider_error","message":"boom"}}`))
	var apiErr *APIError
	if !ok || ev.Type != EventError || !errors.As(err, &apiErr) || apiErr.StatusCode != 502 || apiErr.Message != "boom" {
		t.Fatalf("error: %+v %v %v", ev, err, ok)
	}
	if _, _, ok = decodeEvent([]byte(`{"type":"ping"}`)); ok {
		t.Fatal("an unknown event type is not skipped")
	}
	if _, err, ok = decodeEvent([]byte(`not json`)); !ok || err == nil {
		t.Fatal("a malformed event is not an error")
	}
}
