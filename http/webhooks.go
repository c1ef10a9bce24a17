package http

import (
	"net/http"

	"github.com/gatehouse-llm/gatehouse"
)

// webhookRequest creates or (partially) updates an endpoint. An omitted
// secret on creation is generated.
type webhookRequest struct {
	URL                 *string            `json:"url"`
	Description         *string            `json:"description"`
	EventTypes          *[]string          `json:"event_types"`
	TeamID              *string            `json:"team_id"`
	CreditsLowThreshold *gatehouse.Credits `json:"credits_low_threshold"`
	IsActive            *bool              `json:"is_active"`
	Secret              *string            `json:"secret"`
}

// webhookSecretJSON is an endpoint with its signing secret: answered only
// when the endpoint is created or its secret rotated.
type webhookSecretJSON struct {
	*gatehouse.WebhookEndpoint
	Secret string `json:"secret"`
}

// deliveryJSON is one entry of the delivery log, with its attempts when
// one delivery is asked for.
type deliveryJSON struct {
	*gatehouse.WebhookDelivery
	AttemptLog []*gatehouse.WebhookAttempt `json:"attempt_log,omitempty"`
}

func handleWebhookCreate(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[webhookRequest](w, r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		e := &gatehouse.WebhookEndpoint{}
		for dst, src := range map[*string]*string{&e.URL: req.URL, &e.Description: req.Description, &e.TeamID: req.TeamID, &e.Secret: req.Secret} {
			if src != nil {
				*dst = *src
			}
		}
		if req.EventTypes != nil {
			e.EventTypes = *req.EventTypes
		}
		if req.CreditsLowThreshold != nil {
			e.CreditsLowThreshold = *req.CreditsLowThreshold
		}
		if req.IsActive != nil && !*req.IsActive {
			writeError(w, r, gatehouse.FieldErrorf("is_active", "A new endpoint is active; disable it with PUT once created."))
			return
		}
		if err := store.CreateWebhookEndpoint(r.Context(), e); err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusCreated, webhookSecretJSON{WebhookEndpoint: e, Secret: e.Secret})
	})
}

func handleWebhookList(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := pageFrom(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		eps, total, err := store.ListWebhookEndpoints(r.Context(), p)
		if err != nil {
			writeError(w, r, err)
			return
		}
		list(w, "endpoints", eps, total, p)
	})
}

func handleWebhookGet(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e, err := store.FindWebhookEndpoint(r.Context(), r.PathValue("id"))
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, e)
	})
}

func handleWebhookUpdate(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[webhookRequest](w, r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if req.Secret != nil {
			writeError(w, r, gatehouse.FieldErrorf("secret", "Change a secret with POST /api/webhooks/{id}/rotate-secret."))
			return
		}
		e, err := store.UpdateWebhookEndpoint(r.Context(), r.PathValue("id"), gatehouse.WebhookEndpointUpdate{URL: req.URL,
			Description: req.Description, EventTypes: req.EventTypes, TeamID: req.TeamID, CreditsLowThreshold: req.CreditsLowThreshold,
			Active: req.IsActive})
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, e)
	})
}

// rotateSecretRequest optionally names the new secret; none generates one.
type rotateSecretRequest struct {
	Secret *string `json:"secret"`
}

func handleWebhookRotate(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decodeOptional[rotateSecretRequest](w, r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		secret := ""
		if req.Secret != nil {
			secret = *req.Secret
		}
		e, err := store.UpdateWebhookEndpoint(r.Context(), r.PathValue("id"), gatehouse.WebhookEndpointUpdate{Secret: &secret})
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, webhookSecretJSON{WebhookEndpoint: e, Secret: e.Secret})
	})
}

func handleWebhookDelete(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if err := store.DeleteWebhookEndpoint(r.Context(), id); err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, map[string]any{"deleted": true, "endpoint_id": id})
	})
}

func handleDeliveryList(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := pageFrom(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		q := r.URL.Query()
		f := gatehouse.DeliveryFilter{EndpointID: q.Get("endpoint_id"), Status: q.Get("status"), EventType: q.Get("event_type"), Page: p}
		switch f.Status {
		case "", gatehouse.DeliveryPending, gatehouse.DeliveryDelivered, gatehouse.DeliveryFailed:
		default:
			writeError(w, r, gatehouse.FieldErrorf("status", "status must be pending, delivered or failed."))
			return
		}
		ds, total, err := store.ListWebhookDeliveries(r.Context(), f)
		if err != nil {
			writeError(w, r, err)
			return
		}
		list(w, "deliveries", ds, total, p)
	})
}

func handleDeliveryGet(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, attempts, err := store.FindWebhookDelivery(r.Context(), r.PathValue("id"))
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, deliveryJSON{WebhookDelivery: d, AttemptLog: attempts})
	})
}

func handleDeliveryReplay(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, err := store.ReplayWebhookDelivery(r.Context(), r.PathValue("id"))
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusAccepted, deliveryJSON{WebhookDelivery: d})
	})
}

func handleWebhookTest(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, err := store.TestWebhookEndpoint(r.Context(), r.PathValue("id"))
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusAccepted, deliveryJSON{WebhookDelivery: d})
	})
}
