package bedrock

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// signingService is the SigV4 service name of the Bedrock Runtime endpoints.
const signingService = "bedrock"

// Endpoint.Extra keys the adapter reads.
const (
	extraRegion       = "region"
	extraAccessKeyID  = "aws_access_key_id"
	extraSecretKey    = "aws_secret_access_key"
	extraSessionToken = "aws_session_token"
)

// authMethod says how one request is authenticated: SigV4 when creds is
// set, a Bedrock API key (bearer token) otherwise.
type authMethod struct {
	creds  *aws.Credentials
	bearer string
	region string
}

// resolveAuth picks SigV4 credentials from Extra, falling back to the
// endpoint's API key as a Bedrock API key. Half-configured SigV4
// credentials are an error rather than a silent fallback, so a typo in the
// credential store does not send requests with the wrong identity.
func resolveAuth(name string, ep provider.Endpoint) (authMethod, error) {
	keyID, secret := ep.Extra[extraAccessKeyID], ep.Extra[extraSecretKey]
	region := ep.Extra[extraRegion]
	switch {
	case keyID != "" && secret != "":
		return authMethod{
			creds: &aws.Credentials{
				AccessKeyID:     keyID,
				SecretAccessKey: secret,
				SessionToken:    ep.Extra[extraSessionToken],
			},
			region: region,
		}, nil
	case keyID != "" || secret != "":
		return authMethod{}, &provider.Error{Provider: name, Kind: provider.ErrAuth,
			Message: "bedrock: aws_access_key_id and aws_secret_access_key must both be set"}
	case ep.APIKey != "":
		return authMethod{bearer: ep.APIKey, region: region}, nil
	default:
		return authMethod{}, &provider.Error{Provider: name, Kind: provider.ErrAuth,
			Message: "bedrock: no credentials: set aws_access_key_id and aws_secret_access_key, or a Bedrock API key"}
	}
}

// authorize adds the Authorization header. SigV4 signs the final URL, the
// headers set so far and the SHA-256 of body; headers the transport adds
// later (User-Agent, Accept-Encoding) are not signed, which AWS accepts.
func (a *Adapter) authorize(ctx context.Context, req *http.Request, auth authMethod, body []byte) error {
	if auth.creds == nil {
		req.Header.Set("Authorization", "Bearer "+auth.bearer)
		return nil
	}
	sum := sha256.Sum256(body)
	return a.signer.SignHTTP(ctx, *auth.creds, req, hex.EncodeToString(sum[:]), signingService, auth.region, a.now())
}

// secretsOf lists the credential values that must never reach an error
// message, even if the upstream echoes them back.
func secretsOf(ep provider.Endpoint) []string {
	var s []string
	for _, v := range []string{ep.APIKey, ep.Extra[extraSecretKey], ep.Extra[extraSessionToken]} {
		if v != "" {
			s = append(s, v)
		}
	}
	return s
}
