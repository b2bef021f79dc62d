package h1

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// countingReader counts the bytes the bufio.Reader above it took.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// parsed is one response as read from a byte stream: what a caller sees, and how many
// bytes of the stream reading it (head and body) consumed.
type parsed struct {
	status   int
	length   int64
	header   http.Header
	body     []byte
	bodyErr  bool
	consumed int

	// Ours only: the final head as read (before framing edits the header), how its body
	// was framed, and whether the connection could serve another exchange.
	minor      int
	fields     map[string]int // field name (canonical) → lines
	connection []string       // the Connection field values
	framing    framing
	reusable   bool
}

// readOurs reads one response (head and whole body) from data with readResponse and the
// decoder.
func readOurs(data []byte, method string, oneByte bool) (parsed, error) {
	var src io.Reader = bytes.NewReader(data)
	if oneByte {
		src = iotest.OneByteReader(src)
	}
	cr := &countingReader{r: src}
	br := bufio.NewReaderSize(cr, 16)
	var hb headBuf
	var resp http.Response
	hd, err := readResponse(br, method, &hb, &resp)
	if err != nil {
		return parsed{}, err
	}
	fields := map[string]int{}
	var connection []string
	for _, f := range hb.fields {
		name := string(hb.scratch[f.name:f.nameEnd])
		fields[name]++
		if name == "Connection" {
			connection = append(connection, string(hb.scratch[f.value:f.valueEnd]))
		}
	}
	d := newDecoder(br, &hb, hd)
	var body bytes.Buffer
	buf := make([]byte, 7)
	var rerr error
	for {
		n, err := d.read(buf)
		body.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			rerr = err
			break
		}
		if n == 0 {
			panic("read returned 0, nil")
		}
	}
	if hd.framing == sized && rerr == nil && int64(body.Len()) != hd.length {
		panic("sized body length differs from its Content-Length")
	}
	return parsed{status: resp.StatusCode, length: resp.ContentLength, header: resp.Header, body: body.Bytes(), bodyErr: rerr != nil,
		consumed: cr.n - br.Buffered(), minor: resp.ProtoMinor, fields: fields, framing: hd.framing, reusable: !hd.close && rerr == nil, connection: connection}, nil
}

// readStd reads the same with net/http.
func readStd(data []byte, method string) (parsed, error) {
	cr := &countingReader{r: bytes.NewReader(data)}
	br := bufio.NewReaderSize(cr, 16)
	var resp *http.Response
	var err error
	for {
		resp, err = http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			return parsed{}, err
		}
		if resp.StatusCode >= 200 || resp.StatusCode == 101 {
			break
		}
	}
	b, rerr := io.ReadAll(resp.Body)
	return parsed{status: resp.StatusCode, length: resp.ContentLength, header: resp.Header, body: b, bodyErr: rerr != nil,
		consumed: cr.n - br.Buffered()}, nil
}

// FuzzReadResponse feeds arbitrary bytes to the parser as a backend's answer (status line,
// headers, framing, chunked decoder). It never panics and reads no byte past the response
// it frames (reading one byte at a time or buffered gives the same answer). A response it
// accepts has a consistent body: a sized one its Content-Length, a bodiless one none. The
// connection stays reusable only when the framing was unambiguous: never with both
// Transfer-Encoding and Content-Length, with Transfer-Encoding in HTTP/1.0, with a body
// delimited by the connection's end, or with a 204 that announces a body. And whenever
// net/http also accepts the bytes, both agree on status, length, headers, body and where
// the response ends.
func FuzzReadResponse(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloNEXT",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nT: 1\r\n\r\nNEXT",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n1\r\na\r\n0\r\n\r\n",
		"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 200 OK\r\n\r\nuntil close",
		"HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\nNEXT",
		"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\nNEXT",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
		"HTTP/1.1 200 OK\nX-A: b\nContent-Length: 0\n\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx",
		"HTTP/1.1 200 OK\r\nConnection: close\r\nX-Multi: a\r\nx-multi: b\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 2000 OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nBad Header\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled",
		"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n2\r\nok\r\n0\r\n\r\n",
		"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello",
		"HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nConnection: X-Hop, close\r\nX-Hop: 1\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nConnection: content-length\r\nContent-Length: 2\r\n\r\nokNEXT",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1 ;a=b\r\nx\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
		"",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, head bool) {
		method := "GET"
		if head {
			method = "HEAD"
		}
		ours, err := readOurs(data, method, false)
		one, err1 := readOurs(data, method, true)
		if (err == nil) != (err1 == nil) {
			t.Fatalf("buffered err %v; one byte at a time err %v", err, err1)
		}
		if err != nil {
			return
		}
		if ours.consumed > len(data) || one.consumed != ours.consumed || !bytes.Equal(one.body, ours.body) {
			t.Fatalf("buffered read consumed %d bytes and body %q; one byte at a time %d and %q", ours.consumed, ours.body, one.consumed, one.body)
		}
		if ours.status < 100 || ours.status > 999 {
			t.Fatalf("status %d", ours.status)
		}
		te, cl := ours.fields["Transfer-Encoding"], ours.fields["Content-Length"]
		if te > 0 && (cl > 0 || ours.minor == 0) {
			t.Fatalf("accepted a response with %d Transfer-Encoding and %d Content-Length fields (HTTP/1.%d)", te, cl, ours.minor)
		}
		switch {
		case ours.framing == noBody && len(ours.body) != 0:
			t.Fatalf("a bodiless response read a %d-byte body", len(ours.body))
		case ours.framing == sized && !ours.bodyErr && int64(len(ours.body)) != ours.length:
			t.Fatalf("a sized response read %d bytes; its length is %d", len(ours.body), ours.length)
		case ours.framing == chunked && ours.length != -1:
			t.Fatalf("a chunked response has length %d", ours.length)
		case ours.framing == untilEOF && !ours.bodyErr && ours.consumed != len(data):
			t.Fatalf("a body delimited by the end of the connection ended after %d of %d bytes", ours.consumed, len(data))
		}
		if ours.reusable && (ours.framing == untilEOF || !head && ours.status == 204 && (te > 0 || ours.header.Get("Content-Length") != "" && ours.header.Get("Content-Length") != "0")) {
			t.Fatalf("connection reusable after an ambiguous framing: %d, %v", ours.status, ours.fields)
		}
		std, err := readStd(data, method)
		if err != nil || std.bodyErr || ours.bodyErr {
			return // we may be stricter; errors need not agree in detail
		}
		if std.status != ours.status || std.length != ours.length || !bytes.Equal(std.body, ours.body) || std.consumed != ours.consumed {
			t.Fatalf("ours: %d length %d body %q consumed %d\nnet/http: %d length %d body %q consumed %d",
				ours.status, ours.length, ours.body, ours.consumed, std.status, std.length, std.body, std.consumed)
		}
		// net/http keeps the fields Connection lists; we drop them (RFC 9110 §7.6.1).
		for k := range std.header {
			if k != "Connection" && ConnectionOption(ours.connection, k) {
				delete(std.header, k)
			}
		}
		if !sameHeader(std.header, ours.header) {
			t.Fatalf("headers differ:\nours:     %q\nnet/http: %q", ours.header, std.header)
		}
	})
}

func sameHeader(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, av := range a {
		bv, ok := b[k]
		if !ok || !slices.Equal(av, bv) && !slices.Equal(trimAll(av), trimAll(bv)) {
			return false
		}
	}
	return true
}

func trimAll(vs []string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = strings.Trim(v, " \t")
	}
	return out
}
