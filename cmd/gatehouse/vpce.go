package main

import (
	"fmt"
	"net"
	"regexp"
	"strings"
)

// vpceListener is one --vpce LISTEN_ADDR=vpce-id[,vpc-id]: a data plane listener that stands
// for an interface VPC endpoint of API Gateway. It serves private APIs (endpointConfiguration
// PRIVATE), which the public --listen refuses, and its ids are the aws:SourceVpce and
// aws:SourceVpc of resource policies.
type vpceListener struct {
	Addr string
	VPCE string
	VPC  string // empty when not given
}

// vpceList is the repeatable --vpce; one value may also hold several entries separated by
// spaces or semicolons (the GATEHOUSE_VPCE and --config form), since a comma separates an
// entry's endpoint id from its VPC id.
type vpceList struct {
	entries []vpceListener
	bad     []string // entries that are not ADDR=vpce-id[,vpc-id], for validate
}

func (l *vpceList) String() string {
	if l == nil {
		return ""
	}
	out := make([]string, 0, len(l.entries))
	for _, e := range l.entries {
		s := e.Addr + "=" + e.VPCE
		if e.VPC != "" {
			s += "," + e.VPC
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

func (l *vpceList) Set(v string) error {
	for _, raw := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ' ' || r == '\t' || r == '\n' }) {
		addr, ids, ok := strings.Cut(raw, "=")
		vpce, vpc, _ := strings.Cut(ids, ",")
		if !ok || addr == "" || vpce == "" {
			l.bad = append(l.bad, raw)
			continue
		}
		l.entries = append(l.entries, vpceListener{Addr: addr, VPCE: vpce, VPC: vpc})
	}
	return nil
}

// AWS's ids: "vpce-" or "vpc-" and 8 or 17 lower-case hex digits (vpce-1a2b3c4d,
// vpce-0123456789abcdef0).
var (
	vpceIDPattern = regexp.MustCompile(`^vpce-([0-9a-f]{8}|[0-9a-f]{17})$`)
	vpcIDPattern  = regexp.MustCompile(`^vpc-([0-9a-f]{8}|[0-9a-f]{17})$`)
)

// problems lists every malformed entry, and addresses used twice or taken by the other
// listeners.
func (l *vpceList) problems(listen, adminListen string) []string {
	var out []string
	for _, raw := range l.bad {
		out = append(out, fmt.Sprintf("vpce: %q is not LISTEN_ADDR=vpce-id[,vpc-id] (e.g. 127.0.0.1:8081=vpce-1a2b3c4d,vpc-2f09a348)", raw))
	}
	seen := map[string]bool{listen: true, adminListen: true}
	for _, e := range l.entries {
		if _, port, err := net.SplitHostPort(e.Addr); err != nil {
			out = append(out, fmt.Sprintf("vpce: %q is not host:port", e.Addr))
		} else if seen[e.Addr] && port != "0" { // port 0: the system picks one each time
			out = append(out, fmt.Sprintf("vpce: %s is already a listener's address", e.Addr))
		}
		seen[e.Addr] = true
		if !vpceIDPattern.MatchString(e.VPCE) {
			out = append(out, fmt.Sprintf("vpce: %s: %q is not a VPC endpoint id like vpce-1a2b3c4d", e.Addr, e.VPCE))
		}
		if e.VPC != "" && !vpcIDPattern.MatchString(e.VPC) {
			out = append(out, fmt.Sprintf("vpce: %s: %q is not a VPC id like vpc-2f09a348", e.Addr, e.VPC))
		}
	}
	return out
}
