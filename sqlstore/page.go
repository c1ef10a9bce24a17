package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/gatehouse-llm/gatehouse"
)

// keyset names the order a list is read in, which its ?after= cursor
// continues: a time column and the id (newest or oldest first), or the id
// alone. Each list's order matches an index that begins with its filter
// columns, so a page is a short index range scan at any depth (the README
// lists which index serves which list).
type keyset struct {
	timeCol, idCol string
	desc           bool
}

// orderBy renders the list's ORDER BY.
func (k keyset) orderBy() string {
	dir := ""
	if k.desc {
		dir = " DESC"
	}
	if k.timeCol == "" {
		return " ORDER BY " + k.idCol + dir
	}
	return " ORDER BY " + k.timeCol + dir + ", " + k.idCol + dir
}

// window adds p's position to w — after the cursor's item, or at the
// offset — and returns the ORDER BY and LIMIT clauses. Offsets beyond
// gatehouse.MaxOffset are refused: they make the database walk every row
// before the page.
func (w *where) window(p gatehouse.Page, k keyset) (string, error) {
	p = p.Normalize()
	if p.After != "" {
		if p.Offset > 0 {
			return "", gatehouse.FieldErrorf("offset", "Give either offset or after, not both.")
		}
		c, err := gatehouse.ParseCursor(p.After, k.timeCol != "")
		if err != nil {
			return "", err
		}
		op := ">"
		if k.desc {
			op = "<"
		}
		if k.timeCol == "" {
			w.add(k.idCol+" "+op+" ?", c.ID)
		} else {
			w.addN("("+k.timeCol+", "+k.idCol+") "+op+" (?, ?)", c.Time, c.ID)
		}
		w.args = append(w.args, p.Limit)
		return k.orderBy() + fmt.Sprintf(" LIMIT $%d", len(w.args)), nil
	}
	if p.Offset > gatehouse.MaxOffset {
		return "", gatehouse.FieldErrorf("offset", "offset must be at most %d; page further with after=<next_after of the previous page>.", gatehouse.MaxOffset)
	}
	return k.orderBy() + w.page(p), nil
}

// addN appends a condition with several arguments, one "?" each.
func (w *where) addN(cond string, args ...any) {
	for _, a := range args {
		w.args = append(w.args, a)
		cond = strings.Replace(cond, "?", fmt.Sprintf("$%d", len(w.args)), 1)
	}
	w.conds = append(w.conds, cond)
}

// listTotal counts a list's rows for its total, up to CountCap+1 (so a
// total never costs more than a deep page), or returns -1 for a keyset
// page, whose client is walking the list and has no use for one.
func (db *DB) listTotal(ctx context.Context, table string, w *where, p gatehouse.Page) (int, error) {
	if p.After != "" {
		return -1, nil
	}
	return db.count(ctx, db.sql, table, w)
}
