package http

import (
	"net/http"

	"github.com/gatehouse-llm/gatehouse"
)

// keysetPageFrom reads ?limit=, ?offset= and the keyset cursor ?after=
// (the next_after of the previous page). Lists that may grow with the
// fleet or with traffic take it: a page after a cursor starts right at
// its first row through an index, where a deep offset would walk every
// row before it (offsets stop at gatehouse.MaxOffset).
func keysetPageFrom(r *http.Request) (gatehouse.Page, error) {
	p, err := pageFrom(r)
	if err != nil {
		return p, err
	}
	p.After = r.URL.Query().Get("after")
	return p, nil
}

// keysetList renders a page of a keyset list: the items, limit and
// offset; total when it was counted (not on a cursor page), capped at
// gatehouse.CountCap with total_capped set beyond; and next_after, the
// cursor of the next page, when there may be one.
func keysetList[T any](w http.ResponseWriter, key string, items []T, total int, p gatehouse.Page, cursor func(T) gatehouse.Cursor) {
	body := map[string]any{key: items, "limit": p.Limit, "offset": p.Offset}
	if total >= 0 {
		body["total"] = min(total, gatehouse.CountCap)
		if total > gatehouse.CountCap {
			body["total_capped"] = true
		}
	}
	if n := len(items); n > 0 && n == p.Limit {
		body["next_after"] = cursor(items[n-1]).String()
	}
	encode(w, http.StatusOK, body)
}

// Cursors of the keyset lists: each the sort key of the list's order.
func jobCursor(j *gatehouse.Job) gatehouse.Cursor {
	return gatehouse.Cursor{Time: j.CreatedAt, ID: j.ID}
}
func ledgerCursor(e *gatehouse.LedgerEntry) gatehouse.Cursor {
	return gatehouse.Cursor{Time: e.CreatedAt, ID: e.ID}
}
func auditCursor(e *gatehouse.AuditEntry) gatehouse.Cursor {
	return gatehouse.Cursor{Time: e.CreatedAt, ID: e.ID}
}
func keyCursor(k *gatehouse.Key) gatehouse.Cursor {
	return gatehouse.Cursor{Time: k.CreatedAt, ID: k.ID}
}
func teamCursor(t teamJSON) gatehouse.Cursor { return gatehouse.Cursor{ID: t.ID} }
func orgCursor(o *gatehouse.Organization) gatehouse.Cursor {
	return gatehouse.Cursor{ID: o.ID}
}
