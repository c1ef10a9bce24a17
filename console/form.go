package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gatehouse-llm/gatehouse"
)

// form turns a posted form's text fields into the JSON numbers the API
// reads. It checks only that a field is a number, and writes it the way
// JSON wants ("02.5" becomes 2.50); what the number may be is the API's
// to decide. The first unreadable field is kept in err.
type form struct {
	r   *http.Request
	err error
}

// decimal reads an exact decimal (a price or credits, at most 6 places,
// negative allowed: the API says whether that makes sense); nil if blank.
func (f *form) decimal(name string) any {
	v := strings.TrimSpace(f.r.PostFormValue(name))
	if v == "" {
		return nil
	}
	sign, digits := "", v
	if strings.HasPrefix(v, "-") {
		sign, digits = "-", v[1:]
	}
	m, err := gatehouse.ParseMicros(digits)
	if err != nil {
		if f.err == nil {
			f.err = fmt.Errorf("%s: %q is not a decimal number such as 2.50 (%v).", name, v, err)
		}
		return nil
	}
	return json.Number(sign + gatehouse.FormatMicros(m))
}

// integer reads a whole number; nil if blank.
func (f *form) integer(name string) any {
	v := strings.TrimSpace(f.r.PostFormValue(name))
	if v == "" {
		return nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		if f.err == nil {
			f.err = fmt.Errorf("%s: %q is not a whole number.", name, v)
		}
		return nil
	}
	return n
}
