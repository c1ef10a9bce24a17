package anthropic

import (
	"net/http"
	"testing"
)

func TestErrorType(t *testing.T) {
	cases := map[int]string{
		400: "invalid_request_error",
		401: "authentication_error",
		402: "billing_error",
		403: "permission_error",
		404: "not_found_error",
		409: "conflict_error",
		413: "request_too_large",
		422: "invalid_request_error",
		429: "rate_limit_error",
		500: "api_error",
		502: "api_error",
		503: "overloaded_error",
		504: "timeout_error",
		529: "overloaded_error",
	}
	for status, want := range cases {
		if got := ErrorType(status); got != want {
			t.Errorf("ErrorType(%d) = %q, want %q", status, got, want)
		}
	}
}

func TestEncodeError(t *testing.T) {
	cases := []struct {
		status  int
		message string
		want    string
	}{
		{400, "max_tokens: Field required",
			`{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required"}}`},
		{401, "invalid x-api-key",
			`{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`},
		{429, "Rate limit <exceeded>",
			`{"type":"error","error":{"type":"rate_limit_error","message":"Rate limit <exceeded>"}}`},
		{529, "Overloaded",
			`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`},
	}
	for _, tc := range cases {
		if got := string(EncodeError(tc.status, tc.message)); got != tc.want {
			t.Errorf("EncodeError(%d)\ngot  %s\nwant %s", tc.status, got, tc.want)
		}
	}
}

func TestNoCredits(t *testing.T) {
	status, body := NoCredits("Your credit balance is too low.")
	if status != http.StatusPaymentRequired {
		t.Errorf("status = %d, want 402", status)
	}
	if want := `{"type":"error","error":{"type":"billing_error","message":"Your credit balance is too low."}}`; string(body) != want {
		t.Errorf("body = %s\nwant   %s", body, want)
	}
}

func TestBadRequestError(t *testing.T) {
	err := &BadRequest{Param: "max_tokens", Message: "max_tokens: Field required"}
	if err.Error() != "max_tokens: Field required" {
		t.Errorf("Error() = %q", err.Error())
	}
}
