// Package golden compares test output with golden files in testdata/,
// rewriting them when a test binary runs with -update. Golden files are
// how adapter and wire-format tests pin exact bytes a provider or an SDK
// will see.
package golden

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// Canonical re-indents JSON with sorted keys, so comparisons ignore
// layout and key order but notice every value, including a null that
// should have been absent.
func Canonical(t testing.TB, b []byte) string {
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

// JSON compares got with a JSON golden file.
func JSON(t testing.TB, path string, got []byte) {
	t.Helper()
	canon := Canonical(t, got)
	if *update {
		write(t, path, []byte(canon))
		return
	}
	if want := Canonical(t, Read(t, path)); canon != want {
		t.Errorf("%s mismatch\n--- got\n%s--- want\n%s", path, canon, want)
	}
}

// Text compares got byte for byte with a golden file.
func Text(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		write(t, path, got)
		return
	}
	if want := Read(t, path); !bytes.Equal(got, want) {
		t.Errorf("%s mismatch\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// Read returns a test file's contents.
func Read(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func write(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
