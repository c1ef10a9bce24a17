package gatehouse

import (
	"encoding/base64"
	"strings"
	"time"
)

// Deep pages. An offset makes the database walk past every row before
// the page, so offsets stop at MaxOffset: beyond it a list is read with a
// keyset cursor (?after=), which starts right at the page through an
// index whatever its depth. Totals are counted up to CountCap for the
// same reason; a list reports a total above that as CountCap+1 ("more").
const (
	MaxOffset = 10_000
	CountCap  = 10_000
)

// Cursor is where a keyset page ends: the sort key of its last item —
// creation time and id for lists in time order, the id alone for lists
// in id order. Clients treat its String form as opaque.
type Cursor struct {
	Time time.Time
	ID   string
}

// String encodes the cursor for ?after=.
func (c Cursor) String() string {
	s := "|" + c.ID
	if !c.Time.IsZero() {
		s = c.Time.UTC().Format(time.RFC3339Nano) + s
	}
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

// ParseCursor decodes ?after=; timed reports whether the list it is for
// is in time order, so a cursor from another list is refused.
func ParseCursor(s string, timed bool) (Cursor, error) {
	bad := FieldErrorf("after", "after must be the next_after value of the previous page.")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, bad
	}
	ts, id, ok := strings.Cut(string(raw), "|")
	if !ok || id == "" || (ts != "") != timed {
		return Cursor{}, bad
	}
	var c Cursor
	c.ID = id
	if timed {
		if c.Time, err = time.Parse(time.RFC3339Nano, ts); err != nil {
			return Cursor{}, bad
		}
		c.Time = c.Time.UTC()
	}
	return c, nil
}
