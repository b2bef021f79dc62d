// Command backend is the benchmark's upstream: an HTTP/1.1 server that answers every request
// with the same small response (200, text/plain, a 64-byte body) on keep-alive connections.
//
// It speaks just enough HTTP/1.1 on raw TCP (request line, headers, Content-Length bodies,
// pipelining) so that it costs far less CPU per request than net/http: it shares a core with
// the load generator, and the proxy under test should be what limits throughput.
// -stdlib serves with net/http instead, for comparison.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
)

// body is the fixed 64-byte response body.
var body = []byte("gatehouse bench backend: a fixed sixty-four byte response body.\n")

var response = []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
	strconv.Itoa(len(body)) + "\r\n\r\n" + string(body))

func main() {
	listen := flag.String("listen", "127.0.0.1:9000", "address to listen on")
	stdlib := flag.Bool("stdlib", false, "serve with net/http instead of the raw HTTP/1.1 loop")
	flag.Parse()
	if len(body) != 64 {
		panic(fmt.Sprintf("body is %d bytes; want 64", len(body)))
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "backend listening on %s\n", ln.Addr())
	if *stdlib {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header()["Content-Type"] = []string{"text/plain"}
			w.Header()["Content-Length"] = []string{"64"}
			_, _ = w.Write(body)
		})
		log.Fatal(http.Serve(ln, h))
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go serve(c)
	}
}

// serve answers every request on c until the peer closes it or sends something this server
// does not speak (chunked request bodies, malformed headers), when it closes the connection.
func serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReaderSize(c, 16<<10)
	w := bufio.NewWriterSize(c, 16<<10)
	for {
		length, closeAfter, err := readRequest(r)
		if err != nil {
			return
		}
		if length > 0 {
			if _, err := r.Discard(int(length)); err != nil {
				return
			}
		}
		if _, err := w.Write(response); err != nil {
			return
		}
		// Flush once no pipelined request is waiting.
		if r.Buffered() == 0 || closeAfter {
			if err := w.Flush(); err != nil {
				return
			}
		}
		if closeAfter {
			return
		}
	}
}

// readRequest consumes one request's line and headers and returns its Content-Length and
// whether the client asked to close the connection.
func readRequest(r *bufio.Reader) (length int64, closeAfter bool, err error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return 0, false, err
	}
	if bytes.HasSuffix(bytes.TrimRight(line, "\r\n"), []byte("HTTP/1.0")) {
		closeAfter = true
	}
	for {
		line, err = r.ReadSlice('\n')
		if err != nil {
			return 0, false, err // includes bufio.ErrBufferFull: a header line over 16 KiB
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			return length, closeAfter, nil
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, false, fmt.Errorf("malformed header line %q", line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.ParseInt(string(value), 10, 64); err != nil || length < 0 {
				return 0, false, fmt.Errorf("bad Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			return 0, false, fmt.Errorf("transfer-encoding %q not supported", value)
		case bytes.EqualFold(name, []byte("Connection")):
			closeAfter = bytes.EqualFold(value, []byte("close"))
		}
	}
}
