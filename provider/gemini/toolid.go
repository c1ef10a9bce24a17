package gemini

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// signatureMarker separates a tool-call id from the thought signature
// carried inside it. Its underscores keep ids within [A-Za-z0-9_-], which
// every OpenAI client and other providers' id rules accept.
const signatureMarker = "_gsig_"

// toolCallID names the index-th function call of a response: the
// upstream's own id when it sent one, else "call_<index>", with the call's
// thought signature appended so the next request can return it.
func toolCallID(upstreamID string, index int, signature string) string {
	id := upstreamID
	if id == "" || strings.Contains(id, signatureMarker) {
		id = "call_" + strconv.Itoa(index)
	}
	if signature == "" {
		return id
	}
	sig, err := base64.StdEncoding.DecodeString(signature)
	if err != nil || len(sig) == 0 {
		return id // not the documented base64; cannot carry it safely
	}
	return id + signatureMarker + base64.RawURLEncoding.EncodeToString(sig)
}

// signatureFromID recovers the thought signature toolCallID stored, or ""
// for ids minted elsewhere.
func signatureFromID(id string) string {
	i := strings.Index(id, signatureMarker)
	if i < 0 {
		return ""
	}
	sig, err := base64.RawURLEncoding.DecodeString(id[i+len(signatureMarker):])
	if err != nil || len(sig) == 0 {
		return ""
	}
	return base64.StdEncoding.EncodeToString(sig)
}
