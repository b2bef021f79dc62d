// Command goproxy is the benchmark's third reference: a plain net/http/httputil.ReverseProxy
// with a tuned transport (keep-alive, a large idle pool, no compression, HTTP/1.1), what a Go
// reverse proxy costs without any API Gateway semantics.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8002", "address to listen on")
	backend := flag.String("backend", "http://127.0.0.1:9000", "upstream base URL")
	flag.Parse()
	target, err := url.Parse(*backend)
	if err != nil {
		log.Fatal(err)
	}
	transport := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        0,
		MaxIdleConnsPerHost: 1024,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
		WriteBufferSize:     16 << 10,
		ReadBufferSize:      16 << 10,
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.SetXForwarded()
		},
		Transport: transport,
		ErrorLog:  log.New(os.Stderr, "goproxy: ", 0),
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "goproxy listening on %s → %s\n", ln.Addr(), target)
	srv := &http.Server{Handler: proxy, ReadHeaderTimeout: 30 * time.Second}
	log.Fatal(srv.Serve(ln))
}
