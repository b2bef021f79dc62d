package apigateway

import (
	"encoding/json"
	"testing"
	"time"
)

func TestGatewayResponseTypes(t *testing.T) {
	t.Parallel()
	if n := len(GatewayResponseTypes()); n != 21 {
		t.Fatalf("GatewayResponseTypes() has %d types; AWS has 21", n)
	}
	tests := []struct {
		typ    GatewayResponseType
		status int
		is4XX  bool
	}{
		{ResponseDefault4XX, 0, true},
		{ResponseDefault5XX, 0, false},
		{ResponseMissingAuthenticationToken, 403, true},
		{ResponseIntegrationTimeout, 504, false},
		{ResponseThrottled, 429, true},
		{ResponseAuthorizerFailure, 500, false},
	}
	for _, tt := range tests {
		info, ok := LookupGatewayResponseType(tt.typ)
		if !ok {
			t.Errorf("LookupGatewayResponseType(%s) not found", tt.typ)
			continue
		}
		if info.Status != tt.status || info.Is4XX() != tt.is4XX {
			t.Errorf("%s = status %d, 4XX %v; want %d, %v", tt.typ, info.Status, info.Is4XX(), tt.status, tt.is4XX)
		}
	}
	if _, ok := LookupGatewayResponseType("NOPE"); ok {
		t.Error("LookupGatewayResponseType(NOPE) found a type")
	}
	gr := DefaultGatewayResponse(GatewayResponseInfo{Type: ResponseDefault4XX})
	b, _ := json.Marshal(gr)
	if want := `{"responseType":"DEFAULT_4XX","responseParameters":{},"responseTemplates":{"application/json":"{\"message\":$context.error.messageString}"},"defaultResponse":true}`; string(b) != want {
		t.Errorf("DefaultGatewayResponse(DEFAULT_4XX) = %s; want %s", b, want)
	}
}

func TestTimestampWire(t *testing.T) {
	t.Parallel()
	ts := Timestamp(time.Date(2026, 11, 21, 13, 0, 0, 0, time.UTC))
	b, err := json.Marshal(ts)
	if err != nil || string(b) != "1795266000" {
		t.Fatalf("Marshal = %s, %v; want 1795266000", b, err)
	}
	var back Timestamp
	if err := json.Unmarshal([]byte("1795266000.5"), &back); err != nil {
		t.Fatal(err)
	}
	if got := back.Time(); !got.Equal(ts.Time().Add(500 * time.Millisecond)) {
		t.Errorf("Unmarshal(1795266000.5) = %v", got)
	}
	if err := json.Unmarshal([]byte(`"x"`), &back); err == nil {
		t.Error("Unmarshal of a string succeeded")
	}
}
