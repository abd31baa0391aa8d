package web

import (
	"net/url"
	"strconv"

	"github.com/aceso-health/aceso"
)

// queryNumber reads the optional query parameter name into dst: an integer
// from lo to hi (hi 0: no upper bound). An absent parameter leaves dst as it
// is; a bad one is an EINVALID error that names the parameter. Every list
// filter (ids, keyset cursors, limits) reads its numbers through it, so they
// are checked and reported the same way everywhere.
func queryNumber[T int | int64](q url.Values, name string, lo, hi int64, dst *T) error {
	v := q.Get(name)
	if v == "" {
		return nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err == nil && n >= lo && (hi == 0 || n <= hi) {
		*dst = T(n)
		return nil
	}
	if hi == 0 {
		return aceso.Errorf(aceso.EINVALID, "%s: %.40q is not a number of at least %d", name, v, lo)
	}
	return aceso.Errorf(aceso.EINVALID, "%s: %.40q is not a number from %d to %d", name, v, lo, hi)
}
