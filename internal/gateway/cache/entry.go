package cache

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/apigateway"
)

// MaxEntryBody is the largest response body cached, in bytes: AWS's 1,048,576 ("The maximum
// size of a response that can be cached is 1048576 bytes"). A larger response is served and
// not cached.
const MaxEntryBody = 1 << 20

// KeySize is the length in bytes of a stage's cache data key (AES-256).
const KeySize = apigateway.CacheDataKeySize

// The first byte of a stored value says how the rest is kept: an entry as encoded, or one
// sealed with the stage's key (cacheDataEncrypted).
const (
	formatPlain  = 'p'
	formatSealed = 's'
)

// entryVersion is the version of the entry encoding; another is a miss.
const entryVersion = 1

// cached is a cached response: what the integration answered, as the client got it.
type cached struct {
	status int
	header http.Header
	body   []byte
	// answerTrace is the Invocation's AnswerTrace of the answer: the edge sends
	// X-Amzn-Trace-Id with it.
	answerTrace bool
}

var errCorrupt = errors.New("corrupt cache entry")

// encodeEntry appends e's encoding to b: version, flags, status, the headers (name, values)
// and the body, every variable part length-prefixed.
func encodeEntry(b []byte, e *cached) []byte {
	var flags byte
	if e.answerTrace {
		flags |= 1
	}
	b = append(b, entryVersion, flags)
	b = binary.AppendUvarint(b, uint64(e.status))
	b = binary.AppendUvarint(b, uint64(len(e.header)))
	for k, vs := range e.header {
		b = appendString(b, k)
		b = binary.AppendUvarint(b, uint64(len(vs)))
		for _, v := range vs {
			b = appendString(b, v)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(e.body)))
	return append(b, e.body...)
}

// decodeEntry decodes an entry encodeEntry wrote; anything else is errCorrupt. The entry's
// body aliases b.
func decodeEntry(b []byte) (*cached, error) {
	d := decoder{b: b}
	if d.byte() != entryVersion {
		return nil, errCorrupt
	}
	flags := d.byte()
	status := d.uvarint()
	n := d.count()
	e := &cached{status: int(status), answerTrace: flags&1 != 0}
	if n > 0 {
		e.header = make(http.Header, n)
	}
	for range n {
		k := d.string()
		nv := d.count()
		if d.err != nil {
			break
		}
		vs := make([]string, 0, nv)
		for range nv {
			vs = append(vs, d.string())
		}
		e.header[k] = vs
	}
	e.body = d.bytes()
	if d.err != nil || len(d.b) != 0 || flags&^1 != 0 || status < 100 || status > 599 {
		return nil, errCorrupt
	}
	return e, nil
}

// decoder reads an encoding, remembering the first problem (after which it reads zeros).
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) byte() byte {
	if d.err != nil || len(d.b) == 0 {
		d.err = errCorrupt
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a number of elements, each at least one byte long: never more than remain,
// so a corrupt count cannot make a large allocation.
func (d *decoder) count() int {
	v := d.uvarint()
	if v > uint64(len(d.b)) {
		d.err = errCorrupt
		return 0
	}
	return int(v)
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) {
		d.err = errCorrupt
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string { return string(d.bytes()) }

// sealer seals entries with a stage's key: AES-256-GCM, a random 96-bit nonce per entry,
// the entry's cache key as additional data (an entry moved under another key does not open).
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (*sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("cache data key is %d bytes; want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

// seal appends to b the nonce and the sealed plaintext.
func (s *sealer) seal(b, plaintext []byte, key string) []byte {
	ns := s.aead.NonceSize()
	start := len(b)
	b = append(b, make([]byte, ns)...)
	if _, err := rand.Read(b[start:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return s.aead.Seal(b, b[start:start+ns], plaintext, []byte(key))
}

// open returns the plaintext sealed in b under key; errCorrupt when it does not open.
func (s *sealer) open(b []byte, key string) ([]byte, error) {
	ns := s.aead.NonceSize()
	if len(b) < ns+s.aead.Overhead() {
		return nil, errCorrupt
	}
	out, err := s.aead.Open(nil, b[:ns], b[ns:], []byte(key))
	if err != nil {
		return nil, errCorrupt
	}
	return out, nil
}

// marshal is the stored value of e under key: encoded, and sealed when s is not nil.
func marshal(e *cached, key string, s *sealer) []byte {
	if s == nil {
		return encodeEntry([]byte{formatPlain}, e)
	}
	plain := encodeEntry(nil, e)
	return s.seal([]byte{formatSealed}, plain, key)
}

// unmarshal decodes a stored value; a value in the other format than the method's (its
// cacheDataEncrypted changed), one that does not open or decode is errCorrupt: a miss.
func unmarshal(v []byte, key string, s *sealer) (*cached, error) {
	if len(v) == 0 {
		return nil, errCorrupt
	}
	switch {
	case s == nil && v[0] == formatPlain:
		return decodeEntry(v[1:])
	case s != nil && v[0] == formatSealed:
		plain, err := s.open(v[1:], key)
		if err != nil {
			return nil, err
		}
		return decodeEntry(plain)
	}
	return nil, errCorrupt
}
