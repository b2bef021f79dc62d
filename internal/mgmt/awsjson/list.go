package awsjson

// ListPatch applies add, remove and replace patch operations to a list of strings
// (binaryMediaTypes, authorizationScopes, cacheKeyParameters) in time linear in the
// operations: each one costs O(1) however long the list, where deleting from the slice
// itself made N operations cost O(N²) (40,000 operations kept a core busy for seconds).
//
// The result is the one of applying, in order, "remove every occurrence of v" for Remove and
// that followed by appending v for Add: values keep their order, an added value goes to the
// end.
type ListPatch struct {
	items  []string
	dead   []bool           // dead[i]: items[i] was removed
	at     map[string][]int // the positions in items of each value still present
	wasNil bool
}

// NewListPatch starts patching list; list itself is not changed.
func NewListPatch(list []string) *ListPatch {
	l := &ListPatch{
		items:  append([]string(nil), list...),
		dead:   make([]bool, len(list)),
		at:     make(map[string][]int, len(list)),
		wasNil: list == nil,
	}
	for i, v := range list {
		l.at[v] = append(l.at[v], i)
	}
	return l
}

// Remove removes every occurrence of v.
func (l *ListPatch) Remove(v string) {
	for _, i := range l.at[v] {
		l.dead[i] = true
	}
	delete(l.at, v)
}

// Append appends v, keeping any earlier occurrence.
func (l *ListPatch) Append(v string) {
	l.at[v] = append(l.at[v], len(l.items))
	l.items = append(l.items, v)
	l.dead = append(l.dead, false)
}

// Add moves v to the end of the list: Remove, then Append.
func (l *ListPatch) Add(v string) {
	l.Remove(v)
	l.Append(v)
}

// List returns the patched list: nil when it started nil and ends empty.
func (l *ListPatch) List() []string {
	out := l.items[:0]
	for i, v := range l.items {
		if !l.dead[i] {
			out = append(out, v)
		}
	}
	if len(out) == 0 && l.wasNil {
		return nil
	}
	return out
}
