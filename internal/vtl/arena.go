package vtl

import "unsafe"

// An Arena decodes JSON documents into template values made from memory it keeps and
// reuses: after the first few documents, Parse allocates nothing. Mapping
// templates parse the payload of every request; an Arena per render, reset afterwards,
// keeps that from making garbage.
//
// The values Parse returns (maps, lists, strings, and the boxes holding strings and
// numbers) are valid until Reset: a caller must not keep any of them, or anything that
// holds one (an error that quotes a string, a cache key), past it; strings.Clone what must
// outlive it. An Arena is not safe for concurrent use.
type Arena struct {
	d   jsonDecoder
	buf []byte // the input's copy, which decoded strings share
}

// Parse decodes data as ParseJSON does, from the arena's memory. The strings it returns
// share the arena's copy of data, which Reset reuses: copy out any string to keep.
func (a *Arena) Parse(data []byte) (any, error) {
	a.buf = append(a.buf[:0], data...)
	a.d.data, a.d.pos = a.buf, 0
	a.d.text = unsafe.String(unsafe.SliceData(a.buf), len(a.buf))
	return a.d.parse()
}

// maxArenaKeep bounds the memory an Arena keeps across Reset, in slab elements of each kind:
// a document larger than that (a rare 10 MB body) is not kept alive by a pooled Arena.
const maxArenaKeep = 1 << 14

// Reset forgets every value Parse returned, so that their memory is reused.
func (a *Arena) Reset() {
	d := &a.d
	d.data, d.text = nil, ""
	scrub := false
	if cap(a.buf) > maxArenaKeep*16 {
		a.buf = nil  // do not keep a rare large body alive,
		scrub = true // nor let old strings point into it
	}
	d.maps.reset(scrub)
	d.lists.reset(scrub)
	d.keySlab.reset(scrub)
	d.valSlab.reset(scrub)
	d.strs.reset(scrub)
	d.floats.reset(scrub)
	d.ints.reset(scrub)
	// The scratch stacks are empty between documents but keep old entries in their spare
	// capacity; scrubbed with the rest.
	if scrub {
		clear(d.keys[:cap(d.keys)])
		clear(d.vals[:cap(d.vals)])
		clear(d.items[:cap(d.items)])
	}
}

// slab hands out pieces of larger chunks. Pieces are capacity-capped, so an append to one
// (a template's put or add) reallocates it rather than writing over a neighbour.
type slab[T any] struct {
	chunks [][]T
	ci     int // the chunk being carved
	used   int // elements of chunks[ci] handed out
	total  int // elements in all chunks
}

// take returns n elements; after a reset they may hold old values, which the caller
// overwrites.
func (s *slab[T]) take(n int) []T {
	for {
		if s.ci < len(s.chunks) {
			c := s.chunks[s.ci]
			if len(c)-s.used >= n {
				p := c[s.used : s.used+n : s.used+n]
				s.used += n
				return p
			}
			s.ci++
			s.used = 0
			continue
		}
		size := max(64, n, s.total/2) // chunks grow with the documents decoded
		s.chunks = append(s.chunks, make([]T, size))
		s.total += size
	}
}

// one returns a pointer to one element, zeroed.
func (s *slab[T]) one() *T {
	p := &s.take(1)[0]
	var zero T
	*p = zero
	return p
}

// reset makes what was handed out available again; chunks beyond maxArenaKeep elements are
// let go. It does not zero the elements (take's callers overwrite them, and zeroing
// pointer-holding memory costs write barriers on every render) unless scrub is set, which
// drops their references to memory the arena let go.
func (s *slab[T]) reset(scrub bool) {
	kept := 0
	for i, c := range s.chunks {
		if kept+len(c) > maxArenaKeep && i > 0 {
			clear(s.chunks[i:])
			s.chunks = s.chunks[:i]
			scrub = true
			break
		}
		kept += len(c)
	}
	if scrub {
		for _, c := range s.chunks {
			clear(c)
		}
	}
	s.total = kept
	s.ci, s.used = 0, 0
}

// eface is the layout of an interface value holding a non-pointer type: its type, and a
// pointer to the value. Boxing scalars by hand lets them live in a slab instead of one
// heap allocation each (which is what a conversion to any costs for a string, a float64
// or an int64 above 255).
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

func typeOf(v any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&v)).typ }

var (
	stringType  = typeOf("")
	float64Type = typeOf(float64(0))
	int64Type   = typeOf(int64(0))
)

// box returns an interface of type typ whose value is *p. The interface is read-only, as
// every interface value is: nothing writes *p while it is in use.
func box(typ, p unsafe.Pointer) any {
	var v any
	e := (*eface)(unsafe.Pointer(&v))
	e.typ, e.data = typ, p
	return v
}

func (d *jsonDecoder) boxString(s string) any {
	if s == "" {
		return "" // the runtime boxes the empty string without allocating
	}
	p := d.strs.one()
	*p = s
	return box(stringType, unsafe.Pointer(p))
}

func (d *jsonDecoder) boxFloat(f float64) any {
	p := d.floats.one()
	*p = f
	return box(float64Type, unsafe.Pointer(p))
}

func (d *jsonDecoder) boxInt(n int64) any {
	if n >= 0 && n < 256 {
		return n // the runtime boxes small integers without allocating
	}
	p := d.ints.one()
	*p = n
	return box(int64Type, unsafe.Pointer(p))
}
