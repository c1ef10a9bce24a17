package anthropic

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// step is one call a handler makes on a StreamEncoder; exactly one field
// is set.
type step struct {
	Start  *int            `json:"start"`
	Chunk  *provider.Chunk `json:"chunk"`
	Finish *struct {
		Reason string         `json:"reason"`
		Usage  provider.Usage `json:"usage"`
	} `json:"finish"`
}

// TestStreamEncoder replays testdata/stream/<case>.steps.json against a
// StreamEncoder and compares the SSE body a handler would write, byte for
// byte, with <case>.golden.sse. Every sequence is also checked against
// Anthropic's event grammar by checkGrammar.
func TestStreamEncoder(t *testing.T) {
	cases := []string{
		"text_only",            // one text block; usage in message_delta, not from chunks
		"text_then_tool",       // text block 0 closed before tool_use block 1
		"two_tools",            // sequential calls stream live, arguments in fragments
		"interleaved_tools",    // calls 1 and 2 held back until call 0's JSON completes
		"tool_then_text",       // text flushes held-back calls; later piece of a closed call dropped
		"empty_implicit_start", // message_start implied; nothing after Finish
	}
	for _, name := range cases {
		t.Run(name, func(t *testing.T) {
			var steps []step
			if err := json.Unmarshal(readFile(t, filepath.Join("testdata/stream", name+".steps.json")), &steps); err != nil {
				t.Fatal(err)
			}
			enc := NewStreamEncoder("smart", "msg_gh01")
			var all []Event
			for _, s := range steps {
				switch {
				case s.Start != nil:
					all = append(all, enc.Start(*s.Start)...)
				case s.Chunk != nil:
					all = append(all, enc.Chunk(s.Chunk)...)
				case s.Finish != nil:
					all = append(all, enc.Finish(s.Finish.Reason, s.Finish.Usage)...)
				}
			}
			checkGrammar(t, all)
			var sse bytes.Buffer
			for _, e := range all {
				sse.WriteString("event: " + e.Name + "\ndata: ")
				sse.Write(e.Data)
				sse.WriteString("\n\n")
			}
			checkGoldenText(t, filepath.Join("testdata/stream", name+".golden.sse"), sse.Bytes())
		})
	}
}

// checkGrammar asserts the rules a client relies on: message_start first
// and once, blocks started in index order from 0, deltas and stops only for
// the one open block, message_delta then message_stop last, and each
// event's name equal to its payload's type.
func checkGrammar(t *testing.T, events []Event) {
	t.Helper()
	open, next := -1, 0
	for i, e := range events {
		var p struct {
			Type  string `json:"type"`
			Index int    `json:"index"`
		}
		if err := json.Unmarshal(e.Data, &p); err != nil {
			t.Fatalf("event %d: invalid JSON %s", i, e.Data)
		}
		if p.Type != e.Name {
			t.Errorf("event %d: name %q but type %q", i, e.Name, p.Type)
		}
		switch {
		case (i == 0) != (e.Name == "message_start"):
			t.Errorf("event %d: %s; message_start must come first and only first", i, e.Name)
		case e.Name == "content_block_start":
			if open >= 0 || p.Index != next {
				t.Errorf("event %d: start of block %d while block %d open, next expected %d", i, p.Index, open, next)
			}
			open, next = p.Index, next+1
		case e.Name == "content_block_delta" && p.Index != open:
			t.Errorf("event %d: delta for block %d while block %d open", i, p.Index, open)
		case e.Name == "content_block_stop":
			if p.Index != open {
				t.Errorf("event %d: stop of block %d while block %d open", i, p.Index, open)
			}
			open = -1
		case e.Name == "message_delta" && (open >= 0 || i != len(events)-2):
			t.Errorf("event %d: message_delta must follow the last block stop and precede message_stop", i)
		case e.Name == "message_stop" && i != len(events)-1:
			t.Errorf("event %d: message_stop before the end", i)
		}
	}
	if n := len(events); n < 2 || events[n-1].Name != "message_stop" {
		t.Errorf("stream does not end with message_stop")
	}
}

func TestPingAndErrorEvent(t *testing.T) {
	if p := Ping(); p.Name != "ping" || string(p.Data) != `{"type":"ping"}` {
		t.Errorf("Ping() = %s %s", p.Name, p.Data)
	}
	e := ErrorEvent(StatusOverloaded, "Overloaded")
	if e.Name != "error" || string(e.Data) != `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}` {
		t.Errorf("ErrorEvent() = %s %s", e.Name, e.Data)
	}
}
