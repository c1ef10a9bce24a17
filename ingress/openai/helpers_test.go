package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// canonicalJSON re-indents JSON with sorted keys, so golden comparisons
// ignore layout and key order but notice every value, including a null
// that should have been absent.
func canonicalJSON(t *testing.T, b []byte) string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, b)
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// checkGoldenJSON compares got with a JSON golden file (rewritten under
// -update).
func checkGoldenJSON(t *testing.T, path string, got []byte) {
	t.Helper()
	canon := canonicalJSON(t, got)
	if *update {
		if err := os.WriteFile(path, []byte(canon), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if want := canonicalJSON(t, readFile(t, path)); canon != want {
		t.Errorf("%s mismatch\n--- got\n%s--- want\n%s", path, canon, want)
	}
}

// checkGoldenText compares got byte for byte with a golden file.
func checkGoldenText(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if want := readFile(t, path); !bytes.Equal(got, want) {
		t.Errorf("%s mismatch\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// asBadRequest asserts err is a *BadRequest with exactly this param and
// message.
func asBadRequest(t *testing.T, err error, param, message string) {
	t.Helper()
	var br *BadRequest
	if !errors.As(err, &br) {
		t.Fatalf("error = %T %v, want *BadRequest", err, err)
	}
	if br.Param != param || br.Message != message {
		t.Errorf("BadRequest = {Param: %q, Message: %q}\nwant        {Param: %q, Message: %q}", br.Param, br.Message, param, message)
	}
}
