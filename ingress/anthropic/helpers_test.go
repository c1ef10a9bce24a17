package anthropic

import (
	"errors"
	"testing"

	"github.com/gatehouse-llm/gatehouse/internal/golden"
)

// The golden-file helpers are shared with the other wire-format tests.
var (
	readFile        = golden.Read
	checkGoldenJSON = golden.JSON
	checkGoldenText = golden.Text
	canonicalJSON   = golden.Canonical
)

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
