package mock

import (
	"context"

	"github.com/gatehouse-llm/gatehouse/provider"
)

var _ provider.Checker = (*Adapter)(nil)

// Check accepts any credential, since the mock needs none, after the
// configured latency_ms. With "error_status" set it fails exactly as a chat
// call would, so the credential test of the management API can be
// exercised on its failure paths too; a malformed setting fails it with the
// same "mock_config" error. Per-request directives do not apply: there is
// no request text to carry them.
func (a *Adapter) Check(ctx context.Context, ep provider.Endpoint) error {
	name := providerName(ep)
	cfg, err := parseSettings(name, ep.Extra)
	if err != nil {
		return err
	}
	if err := a.sleep(ctx, cfg.latency); err != nil {
		return provider.TransportError(ctx, name, err)
	}
	if cfg.failStatus != 0 {
		return simulatedError(name, cfg.failStatus, false)
	}
	return nil
}
