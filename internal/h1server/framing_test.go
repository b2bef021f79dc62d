package h1server

import (
	"strings"
	"testing"
)

// smuggled is a request hidden in another's body: it must never be served (run fails on
// any bytes after the expected responses).
const smuggled = "GET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n"

// framingExchanges hold the request framing rules of RFC 9112 §2-7 (and where we are
// stricter than it, nginx's and net/http's choices), one raw request each.
var framingExchanges = []exchange{
	// §6.1: Transfer-Encoding with Content-Length is refused, and the connection closed, so
	// that the bytes the two framings disagree on never run as a request.
	{name: "TE and CL", send: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 39\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled,
		want: [][]string{{"400"}}, closed: true},
	{name: "CL and TE", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5\r\nhello\r\n0\r\n\r\n" + smuggled,
		want: [][]string{{"400"}}, closed: true},
	{name: "TE and CL 0", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n0\r\n\r\n" + smuggled,
		want: [][]string{{"400"}}, closed: true},
	// HTTP/1.0 has no transfer codings: faulty framing.
	{name: "HTTP/1.0 TE", send: "POST / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n2a\r\nGET /smuggled HTTP/1.0\r\nConnection: keep-alive\r\n\r\n\r\n0\r\n\r\n",
		want: [][]string{{"400"}}, closed: true},
	{name: "HTTP/1.0 TE and CL", send: "POST / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n" + smuggled,
		want: [][]string{{"400"}}, closed: true},
	// Only one Transfer-Encoding field, exactly "chunked".
	{name: "TE empty", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n\r\n" + smuggled, want: [][]string{{"501"}}, closed: true},
	{name: "TE blank", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:  \t\r\n\r\n" + smuggled, want: [][]string{{"501"}}, closed: true},
	{name: "TE chunked, chunked", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n" + smuggled, want: [][]string{{"501"}}, closed: true},
	{name: "TE gzip, chunked", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" + smuggled, want: [][]string{{"501"}}, closed: true},
	{name: "TE chunked, gzip", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n" + smuggled, want: [][]string{{"501"}}, closed: true},
	{name: "TE identity", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\nContent-Length: 3\r\n\r\nabc", want: [][]string{{"400"}}, closed: true},
	{name: "TE identity alone", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n" + smuggled, want: [][]string{{"501"}}, closed: true},
	{name: "TE two fields", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled, want: [][]string{{"501"}}, closed: true},
	{name: "TE xchunked", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n" + smuggled, want: [][]string{{"501"}}, closed: true},
	{name: "TE vertical tab", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \x0bchunked\r\n\r\n0\r\n\r\n" + smuggled, want: [][]string{{"400"}}, closed: true},
	{name: "TE case", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: ChUnKeD\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /next HTTP/1.1\r\nHost: h\r\n\r\n",
		want: [][]string{{"200", "body=abc", "X-TE: chunked"}, {"200", "X-Path: /next"}}},
	{name: "TE framing trailer", send: "POST / HTTP/1.1\r\nHost: h\r\nTrailer: Content-Length\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nContent-Length: 9\r\n\r\n", want: [][]string{{"400"}}, closed: true},

	// Content-Length (§6.3, §8.6).
	{name: "CL twice same", send: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabcGET /next HTTP/1.1\r\nHost: h\r\n\r\n",
		want: [][]string{{"200", "body=abc", "X-Len: 3"}, {"200", "X-Path: /next"}}},
	{name: "CL list", send: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\n\r\nabc", want: [][]string{{"400"}}, closed: true},
	{name: "CL plus", send: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +3\r\n\r\nabc", want: [][]string{{"400"}}, closed: true},
	{name: "CL empty", send: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "CL hex", send: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x3\r\n\r\nabc", want: [][]string{{"400"}}, closed: true},
	{name: "CL overflow", send: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "CL leading zeros", send: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 003\r\n\r\nabc", want: [][]string{{"200", "body=abc"}}},
	// Headers named in Connection are hop-by-hop for a proxy; they still frame this message.
	{name: "Connection names CL", send: "POST / HTTP/1.1\r\nHost: h\r\nConnection: Content-Length\r\nContent-Length: 3\r\n\r\nabcGET /next HTTP/1.1\r\nHost: h\r\n\r\n",
		want: [][]string{{"200", "body=abc"}, {"200", "X-Path: /next"}}},
	{name: "Connection names TE", send: "POST / HTTP/1.1\r\nHost: h\r\nConnection: Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /next HTTP/1.1\r\nHost: h\r\n\r\n",
		want: [][]string{{"200", "body=abc"}, {"200", "X-Path: /next"}}},
	{name: "HTTP/1.0 keep-alive and close", send: "GET /x HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\nGET /y HTTP/1.0\r\n\r\n",
		want: [][]string{{"200", "X-Path: /x", "X-Close: true"}}, closed: true},

	// Field syntax (§5).
	{name: "obs-fold", send: "GET / HTTP/1.1\r\nHost: h\r\nFoo: a\r\n b\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "obs-fold tab", send: "GET / HTTP/1.1\r\nHost: h\r\nFoo: a\r\n\tb\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "space before colon", send: "GET / HTTP/1.1\r\nHost: h\r\nContent-Length : 3\r\n\r\nabc", want: [][]string{{"400"}}, closed: true},
	{name: "bare CR in value", send: "GET / HTTP/1.1\r\nHost: h\r\nFoo: a\rb\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "bare CR line end", send: "GET / HTTP/1.1\r\nHost: h\rFoo: b\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "bare LF", send: "GET /lf HTTP/1.1\nHost: h\nFoo: 1\n\nGET /next HTTP/1.1\r\nHost: h\r\n\r\n",
		want: [][]string{{"200", "X-Path: /lf", "X-Foo: 1"}, {"200", "X-Path: /next"}}},
	{name: "NUL in name", send: "GET / HTTP/1.1\r\nHost: h\r\nF\x00o: 1\r\n\r\n", want: [][]string{{"400"}}, closed: true},

	// §2.2: one empty line before the request-line is ignored; more is refused.
	{name: "leading CRLF", send: "\r\nGET /x HTTP/1.1\r\nHost: h\r\n\r\n\r\nGET /y HTTP/1.1\r\nHost: h\r\n\r\n",
		want: [][]string{{"200", "X-Path: /x"}, {"200", "X-Path: /y"}}},
	{name: "leading LF", send: "\nGET /x HTTP/1.1\r\nHost: h\r\n\r\n", want: [][]string{{"200", "X-Path: /x"}}},
	{name: "two leading CRLF", send: "\r\n\r\nGET /x HTTP/1.1\r\nHost: h\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "leading CRLF LF", send: "\r\n\nGET /x HTTP/1.1\r\nHost: h\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "leading space", send: " GET /x HTTP/1.1\r\nHost: h\r\n\r\n", want: [][]string{{"400"}}, closed: true},

	// §3.2: the request-target.
	{name: "NUL in query", send: "GET /a?x=\x00 HTTP/1.1\r\nHost: h\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "ESC in query", send: "GET /a?x=\x1b[31m HTTP/1.1\r\nHost: h\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "DEL in query", send: "GET /a?x=\x7f HTTP/1.1\r\nHost: h\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "bare CR in query", send: "GET /a?x=\rSet-Cookie:%20a HTTP/1.1\r\nHost: h\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "tab in query", send: "GET /a?x=\t HTTP/1.1\r\nHost: h\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "NUL in path", send: "GET /a\x00b HTTP/1.1\r\nHost: h\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "DEL in escaped path", send: "GET /a%20\x7f HTTP/1.1\r\nHost: h\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "ESC in absolute form", send: "GET http://h/a?\x1b HTTP/1.1\r\nHost: h\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "fragment", send: "GET /a#frag HTTP/1.1\r\nHost: h\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "fragment in query", send: "GET /a?b=1#frag HTTP/1.1\r\nHost: h\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "fragment escaped path", send: "GET /a%20b#frag HTTP/1.1\r\nHost: h\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "fragment absolute", send: "GET http://h/a#frag HTTP/1.1\r\nHost: h\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "escaped NUL in path", send: "GET /a%00b HTTP/1.1\r\nHost: h\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "escaped NUL absolute", send: "GET http://h/%00 HTTP/1.1\r\nHost: h\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "escaped NUL in query", send: "GET /a?x=%00 HTTP/1.1\r\nHost: h\r\n\r\n", want: [][]string{{"200", "X-Query: x=%00"}}},
	{name: "escaped fragment", send: "GET /a%23b HTTP/1.1\r\nHost: h\r\n\r\n", want: [][]string{{"200", "X-Path: /a#b"}}},
	{name: "non-ASCII query", send: "GET /a?x=\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", want: [][]string{{"200", "X-Query: x=\xc3\xa9"}}},
	{name: "absolute form without Host", send: "GET http://h/a HTTP/1.1\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "CONNECT", send: "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n", want: [][]string{{"405"}}, closed: true},

	// §7.1: chunked.
	{name: "chunk too large", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n100001\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "chunk too many digits", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000003\r\nabc\r\n0\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "chunk overflow", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "chunk leading zeros", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0000000000000003\r\nabc\r\n0\r\n\r\n", want: [][]string{{"200", "body=abc"}}},
	{name: "chunk limit", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n100000\r\n" + strings.Repeat("x", 1<<20) + "\r\n0\r\n\r\n", want: [][]string{{"200", "len=1048576"}}},
	{name: "chunk data bare LF", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\n0\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "chunk data no CRLF", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "chunk size bare LF", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "chunk size bare CR", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r;x\r\nabc\r\n0\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "chunk size space before ext", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3 ;x=1\r\nabc\r\n0\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "chunk size trailing space", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3 \t\r\nabc\r\n0\r\n\r\n", want: [][]string{{"200", "body=abc"}}},
	{name: "chunk ext", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;a=1;b=\"x;y\"\r\nabc\r\n0;last\r\n\r\n", want: [][]string{{"200", "body=abc"}}},
	{name: "chunk size empty", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\r\nabc\r\n0\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "chunk size 0x", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0x3\r\nabc\r\n0\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "chunk size negative", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n-3\r\nabc\r\n0\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "chunk size plus", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n+3\r\nabc\r\n0\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "chunk overhead", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + strings.Repeat("1;"+strings.Repeat("e", 1000)+"\r\nx\r\n", 40) + "0\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "trailer", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 1\r\n\r\nGET /next HTTP/1.1\r\nHost: h\r\n\r\n",
		want: [][]string{{"200", "body=abc"}, {"200", "X-Path: /next"}}},
	{name: "trailer malformed", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nno colon\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "trailer bare LF", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\n", want: [][]string{{"400"}}, closed: true},
	{name: "last chunk without trailer end", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n" + smuggled,
		want: [][]string{{"400"}}, closed: true},
}

func TestFraming(t *testing.T) {
	t.Parallel()
	runExchanges(t, start(t, testServer(t, testLog{t})), framingExchanges)
}

// testLog writes a server's log to the test's.
type testLog struct{ t testing.TB }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
