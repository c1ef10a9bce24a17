package openai

import (
	"net/http"
	"testing"
)

func TestErrorType(t *testing.T) {
	cases := map[int]string{
		400: "invalid_request_error",
		401: "authentication_error",
		402: "insufficient_quota",
		403: "permission_error",
		404: "not_found_error",
		409: "invalid_request_error",
		413: "invalid_request_error",
		422: "invalid_request_error",
		429: "rate_limit_error",
		500: "server_error",
		502: "server_error",
		503: "server_error",
		529: "server_error",
	}
	for status, want := range cases {
		if got := ErrorType(status); got != want {
			t.Errorf("ErrorType(%d) = %q, want %q", status, got, want)
		}
	}
}

func TestEncodeError(t *testing.T) {
	cases := []struct {
		name                          string
		status                        int
		message, errType, code, param string
		want                          string
	}{
		{"derived type, nulls", 400, "messages: must be a non-empty array", "", "", "messages",
			`{"error":{"message":"messages: must be a non-empty array","type":"invalid_request_error","param":"messages","code":null}}`},
		{"explicit type and code", 401, "Incorrect API key provided.", "", CodeInvalidAPIKey, "",
			`{"error":{"message":"Incorrect API key provided.","type":"authentication_error","param":null,"code":"invalid_api_key"}}`},
		{"rate limited", 429, "Rate limit reached for requests.", "", CodeRateLimitExceeded, "",
			`{"error":{"message":"Rate limit reached for requests.","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"}}`},
		{"upstream failure", 502, "The provider failed <twice>.", "", "", "",
			`{"error":{"message":"The provider failed <twice>.","type":"server_error","param":null,"code":null}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(EncodeError(tc.status, tc.message, tc.errType, tc.code, tc.param)); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestNoCredits(t *testing.T) {
	status, body := NoCredits("Your team has no credits left.")
	if status != http.StatusTooManyRequests {
		t.Errorf("status = %d, want 429", status)
	}
	want := `{"error":{"message":"Your team has no credits left.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}`
	if string(body) != want {
		t.Errorf("body = %s\nwant   %s", body, want)
	}
}

func TestBadRequestError(t *testing.T) {
	err := &BadRequest{Param: "n", Message: "n: too many"}
	if err.Error() != "n: too many" {
		t.Errorf("Error() = %q", err.Error())
	}
}
