package bedrock

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// operationURL builds {base}/model/{modelId}/{op}. The model id is one
// escaped path segment; url.URL carries both forms (Path decoded, RawPath
// escaped) so the request line and the SigV4 canonical path agree.
func operationURL(name string, ep provider.Endpoint, auth authMethod, model, op string) (*url.URL, error) {
	if model == "" {
		return nil, badRequest(name, "bedrock: model id is required")
	}
	needRegion := ep.BaseURL == "" || auth.creds != nil
	if needRegion && auth.region == "" {
		return nil, badRequest(name, `bedrock: endpoint has no region: set Extra["region"] (e.g. "us-east-1")`)
	}
	if auth.region != "" && !validRegion(auth.region) {
		return nil, badRequest(name, "bedrock: invalid region "+quoteShort(auth.region))
	}
	base := strings.TrimRight(ep.BaseURL, "/")
	if base == "" {
		base = "https://bedrock-runtime." + auth.region + ".amazonaws.com"
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, badRequest(name, "bedrock: invalid base URL")
	}
	basePath := u.EscapedPath()
	u.Path = strings.TrimRight(u.Path, "/") + "/model/" + model + "/" + op
	u.RawPath = strings.TrimRight(basePath, "/") + "/model/" + escapePathSegment(model) + "/" + op
	return u, nil
}

// escapePathSegment escapes every byte outside RFC 3986's unreserved set,
// as the AWS SDKs do for path labels: ':' and '/' in model ids and ARNs
// must stay inside the one segment.
func escapePathSegment(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0x0f])
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// validRegion accepts region names such as "us-east-1" or
// "us-gov-west-1". The region becomes part of a host name, so anything
// else is refused rather than allowed to redirect the request.
func validRegion(r string) bool {
	if len(r) > 32 || r[0] == '-' || r[len(r)-1] == '-' {
		return false
	}
	for i := 0; i < len(r); i++ {
		c := r[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// quoteShort quotes a configuration value for an error message, cut to a
// length that cannot flood logs.
func quoteShort(s string) string {
	const limit = 40
	if len(s) > limit {
		s = s[:limit] + "..."
	}
	return strconv.Quote(s)
}
