package awsjson

import (
	"fmt"
	"testing"
)

func TestPaginateMap(t *testing.T) {
	t.Parallel()
	m := map[string]int{"c": 3, "a": 1, "d": 4, "b": 2}
	for _, tt := range []struct {
		page     Page
		want     string
		wantNext string
	}{
		{Page{Limit: 25}, "[1 2 3 4]", ""},
		{Page{Limit: 2}, "[1 2]", "c"},
		{Page{Position: "c", Limit: 2}, "[3 4]", ""},
		{Page{Position: "bb", Limit: 1}, "[3]", "d"}, // a position between keys starts at the next
		{Page{Position: "z", Limit: 2}, "[]", ""},
	} {
		got, next := PaginateMap(m, tt.page)
		if fmt.Sprint(got) != tt.want || next != tt.wantNext {
			t.Errorf("PaginateMap(%v, %+v) = %v, %q; want %s, %q", m, tt.page, got, next, tt.want, tt.wantNext)
		}
	}
}
