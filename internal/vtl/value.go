package vtl

// Values a template sees are nil (Java null), string, bool, int64, float64, *List, *Map,
// Object, and a few values the engine makes itself (map entries, $foreach, #define blocks).
// Host values of Go int, int32 and float32 are accepted and normalized on the way in.

// List is an ordered, mutable list. Templates may .add() to it.
//
// A List made by ParseJSON or NewList prints as compact JSON, as AWS prints the lists
// $input.path returns ([recorded]: [{"foo":"bar"}]). A list the template makes itself
// (a [1, "a"] literal, a range, keySet(), values(), split()) is a java.util.ArrayList in
// API Gateway's Velocity and prints the Java way: [1, a].
type List struct {
	items []any
	java  bool // print as java.util.AbstractCollection.toString, not JSON
}

// NewList returns a List holding items; it prints as JSON.
func NewList(items ...any) *List {
	l := &List{items: make([]any, len(items))}
	for i, v := range items {
		l.items[i] = norm(v)
	}
	return l
}

func newJavaList(items []any) *List { return &List{items: items, java: true} }

// Len returns the number of items.
func (l *List) Len() int { return len(l.items) }

// Index returns item i; it panics when i is out of range, as indexing a slice does.
func (l *List) Index(i int) any { return l.items[i] }

// Append adds v at the end.
func (l *List) Append(v any) { l.items = append(l.items, norm(v)) }

// Map is a string-keyed map that remembers insertion order, like the LinkedHashMap
// API Gateway's Velocity uses. Templates may .put() to it.
type Map struct {
	keys  []string
	vals  []any
	index map[string]int // key → position; built once the map outgrows a linear scan
}

// mapIndexAt is the size from which a Map keeps a hash index; smaller maps (most JSON
// objects) are scanned, which is faster and allocates nothing.
const mapIndexAt = 12

// NewMap returns an empty Map.
func NewMap() *Map { return &Map{} }

func (m *Map) find(key string) int {
	if m.index != nil {
		if i, ok := m.index[key]; ok {
			return i
		}
		return -1
	}
	for i, k := range m.keys {
		if k == key {
			return i
		}
	}
	return -1
}

// Get returns the value stored under key.
func (m *Map) Get(key string) (any, bool) {
	if i := m.find(key); i >= 0 {
		return m.vals[i], true
	}
	return nil, false
}

// Set stores v under key. A new key goes last; an existing key keeps its place.
func (m *Map) Set(key string, v any) { m.put(key, norm(v)) }

// put stores v and returns the previous value (Java's Map.put).
func (m *Map) put(key string, v any) any {
	if i := m.find(key); i >= 0 {
		old := m.vals[i]
		m.vals[i] = v
		return old
	}
	m.keys = append(m.keys, key)
	m.vals = append(m.vals, v)
	if m.index != nil {
		m.index[key] = len(m.keys) - 1
	} else if len(m.keys) > mapIndexAt {
		m.reindex()
	}
	return nil
}

func (m *Map) reindex() {
	if len(m.keys) <= mapIndexAt {
		m.index = nil
		return
	}
	m.index = make(map[string]int, len(m.keys))
	for i, k := range m.keys {
		m.index[k] = i
	}
}

// remove deletes key and returns its value (Java's Map.remove).
func (m *Map) remove(key string) any {
	i := m.find(key)
	if i < 0 {
		return nil
	}
	old := m.vals[i]
	// Copy instead of shifting in place: a #foreach over this map may hold the old slices.
	m.keys = append(m.keys[:i:i], m.keys[i+1:]...)
	m.vals = append(m.vals[:i:i], m.vals[i+1:]...)
	m.reindex()
	return old
}

// Keys returns the keys in insertion order. The caller must not modify the slice.
func (m *Map) Keys() []string { return m.keys }

// Len returns the number of entries.
func (m *Map) Len() int { return len(m.keys) }

// Object is a host value (e.g. $input, $util): properties ($x.name, also $x.getName() and
// $x.get('name') Velocity-style) and methods ($x.name(args)).
type Object interface {
	Property(name string) (any, bool)
	Call(method string, args []any) (any, error) // an error aborts Execute with it wrapped
}

// MapObject is a host Object that templates see as a java.util.Map: besides its properties,
// its Map's methods (keySet, entrySet, values, size, isEmpty, containsKey, ...) apply to it,
// #foreach iterates its values, and it prints as the Map prints ({a=1, b=null}). AsMap is
// called only when one of these is used, so a host may build the Map lazily; it should
// return the same Map each time, so that what a template puts in it stays.
type MapObject interface {
	Object
	AsMap() *Map
}

// entry is one element of $map.entrySet(): .key/.value, getKey()/getValue().
type entry struct {
	key string
	m   *Map // setValue writes through, as Java's LinkedHashMap entries do
	val any
}

// loopScope is $foreach inside a #foreach (Velocity 1.7's ForeachScope).
type loopScope struct {
	index   int64 // 0-based
	hasNext bool
	parent  *loopScope
}

// block is a #define($name) body: rendered where $name is referenced.
type block struct {
	body []node
}

// norm turns host numbers into the engine's int64 and float64.
func norm(v any) any {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case float32:
		return float64(x)
	}
	return v
}
