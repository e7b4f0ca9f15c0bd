package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/billing/customers-api/pkg/filter"
)

// queryParams parses the request's query string. Only & separates
// parameters: the filter language uses ; itself, and clients such as curl
// send it unescaped (net/url's parser drops any pair that holds one). A pair
// that is not valid percent-encoding is a 400 naming the parameter.
func queryParams(r *http.Request) (url.Values, error) {
	q := url.Values{}
	for pair := range strings.SplitSeq(r.URL.RawQuery, "&") {
		if pair == "" {
			continue
		}
		rawKey, rawValue, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(rawKey)
		if err != nil {
			return nil, invalidQuery(rawKey, 0, "is not valid percent-encoding")
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			return nil, invalidQuery(key, 0, "is not valid percent-encoding")
		}
		q[key] = append(q[key], value)
	}
	return q, nil
}

// once answers 400 when one of the named parameters is repeated: only
// sort may be, and silently using the first of two filters would hide a
// client's mistake.
func once(q url.Values, names ...string) error {
	for _, name := range names {
		if len(q[name]) > 1 {
			return invalidQuery(name, 0, fmt.Sprintf("is given %d times; give it once", len(q[name])))
		}
	}
	return nil
}

// intParam reads a whole-number query parameter: def when absent, at most
// maxValue (unless maxValue < 0), never negative.
func intParam(q url.Values, name string, def, maxValue int) (int, error) {
	if !q.Has(name) {
		return def, nil
	}
	v := q.Get(name)
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || (maxValue >= 0 && n > maxValue) {
		if maxValue >= 0 {
			return 0, invalidQuery(name, 0, fmt.Sprintf("must be a whole number from 0 to %d, got %q", maxValue, v))
		}
		return 0, invalidQuery(name, 0, fmt.Sprintf("must be a whole number of at least 0, got %q", v))
	}
	return n, nil
}

// queryErr translates an error of package filter about one of the HTTP
// layer's own parameters into a queryError; other errors pass unchanged.
func queryErr(err error) error {
	var fe *filter.Error
	if errors.As(err, &fe) {
		return invalidQuery(fe.Param, fe.Offset, fe.Message)
	}
	return err
}
