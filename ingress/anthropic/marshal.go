package anthropic

import (
	"bytes"
	"encoding/json"
)

// marshal encodes the package's own response types. They hold only
// strings, integers, finite floats and validated raw JSON, so a failure is
// a programming error and panics rather than sending a half-written body.
// HTML escaping is off so text reaches the client byte for byte as the
// model wrote it ("<" rather than "\u003c").
func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("ingress/anthropic: cannot encode response: " + err.Error())
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
