package awsjson

import (
	"maps"
	"net/http"
	"slices"
	"strconv"
)

// Page limits of AWS's list operations: limit defaults to 25 and may be at most 500.
const (
	DefaultPageLimit = 25
	MaxPageLimit     = 500
)

// Page reads the position and limit query parameters of a list call.
type Page struct {
	// Position is the opaque token of the first item to return; empty starts at the beginning.
	Position string
	Limit    int
}

// ParsePage reads position and limit from r's query string.
func ParsePage(r *http.Request) (Page, error) {
	q := r.URL.Query()
	p := Page{Position: q.Get("position"), Limit: DefaultPageLimit}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxPageLimit {
			return Page{}, BadRequest("1 validation error detected: Value '%s' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 500", s)
		}
		p.Limit = n
	}
	return p, nil
}

// Paginate returns the items of one page and the position of the next (empty on the last
// page). keys are the items' stable sort keys, in order; positions are keys.
func Paginate[T any](items []T, key func(T) string, p Page) ([]T, string) {
	start := 0
	if p.Position != "" {
		start = len(items)
		for i, it := range items {
			if key(it) >= p.Position {
				start = i
				break
			}
		}
	}
	end := start + p.Limit
	if end >= len(items) {
		return items[start:], ""
	}
	return items[start:end], key(items[end])
}

// PaginateMap returns one page of m's values in the order of their keys, and the position
// of the next page (empty on the last); positions are keys.
func PaginateMap[T any](m map[string]T, p Page) ([]T, string) {
	keys := slices.Sorted(maps.Keys(m))
	page, next := Paginate(keys, func(k string) string { return k }, p)
	items := make([]T, len(page))
	for i, k := range page {
		items[i] = m[k]
	}
	return items, next
}
