package client_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse/client"
)

type review struct {
	Title    string     `json:"title"`
	Rating   int        `json:"rating"`
	Author   reviewer   `json:"author"`
	Pros     []string   `json:"pros"`
	Scores   [2]float64 `json:"scores"`
	Reply    *reviewer  `json:"reply"`
	Summary  string     `json:"summary,omitempty"`
	Verdict  string     `json:"verdict" jsonschema:"enum=buy,enum=skip"`
	Reviewed time.Time  `json:"reviewed"`
	Due      *time.Time `json:"due"`
	Sections []section  `json:"sections"`
	Extra    struct{ N int }
}

type reviewer struct {
	Name    string `json:"name"`
	Email   string `json:"email" jsonschema:"format=email"`
	Contact struct {
		Phone string `json:"phone"`
	} `json:"contact"`
}

type section struct {
	Heading string `json:"heading"`
}

// The mock answers a json_schema request with the smallest instance of
// the schema, so decoding proves the schema and the decoder agree.
func TestStructured(t *testing.T) {
	g := newGatehouse(t)
	c := client.New(g.URL, g.Key)
	job := openJob(t, c)
	r, resp, err := client.Structured[review](context.Background(), c, job.ID, "echo", []client.Message{client.User("Review this phone.")})
	if err != nil {
		t.Fatal(err)
	}
	if resp.FinishReason != "stop" || resp.CallID == "" {
		t.Fatalf("response %+v", resp)
	}
	if r.Author.Email != "user@example.com" || r.Verdict != "buy" || !r.Reviewed.Equal(time.Unix(0, 0)) ||
		r.Reply == nil || r.Reply.Email != "user@example.com" || r.Due == nil || r.Scores != [2]float64{0, 0} || len(r.Pros) != 0 {
		t.Fatalf("decoded %+v", r)
	}
	// A pointer type works the same.
	p, _, err := client.Structured[*section](context.Background(), c, job.ID, "echo", []client.Message{client.User("x")})
	if err != nil || p == nil {
		t.Fatalf("Structured[*section] = %v, %v", p, err)
	}
}

func TestStructuredSendsStrictSchema(t *testing.T) {
	var body string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		body = string(b)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"call_id":"c","content":"{\"heading\": \"cut","finish_reason":"length"}`)
	}))
	defer srv.Close()
	c := client.New(srv.URL, "k")
	_, resp, err := client.Structured[section](context.Background(), c, "j1", "smart", []client.Message{client.User("x")})
	want := `"response_format":{"type":"json_schema","json_schema":{"name":"section","schema":{"type":"object","properties":{"heading":{"type":"string"}},"required":["heading"],"additionalProperties":false},"strict":true}}`
	if !strings.Contains(body, want) {
		t.Fatalf("request body %s\nlacks %s", body, want)
	}
	var de *client.DecodeError
	if !errors.As(err, &de) || de.Content != `{"heading": "cut` || de.FinishReason != "length" || resp == nil {
		t.Fatalf("error %v, response %+v", err, resp)
	}
}

func TestStructuredNeedsAnObject(t *testing.T) {
	c := client.New("http://127.0.0.1:1", "k")
	if _, _, err := client.Structured[[]string](context.Background(), c, "j1", "smart", nil); err == nil || !strings.Contains(err.Error(), "JSON object") {
		t.Fatalf("Structured[[]string]: %v", err)
	}
}
