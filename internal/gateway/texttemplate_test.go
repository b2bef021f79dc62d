package gateway

import (
	"testing"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

func TestTextTemplate(t *testing.T) {
	t.Parallel()
	inv := &invoke.Invocation{RequestID: "rid", Stage: "prod",
		Err: &invoke.Error{Type: apigateway.ResponseThrottled, Message: "say \"hi\"\n"}}
	vars := map[string]string{"v": "val"}
	tests := []struct{ tmpl, want string }{
		{`{"message":$context.error.messageString}`, `{"message":"say \"hi\"\n"}`},
		{`$context.error.message|$context.error.responseType`, "say \"hi\"\n|THROTTLED"},
		{`${context.requestId}-${stageVariables.v}-$stageVariables.v.`, "rid-val-val."},
		{`Stage $context.stage.`, "Stage prod."},
		{`$input.body $ $context.nope $5`, "$input.body $  $5"},
		{`${context.stage`, "${context.stage"},
	}
	for _, tt := range tests {
		if got := string(parseTextTemplate(tt.tmpl, vars).render(nil, inv)); got != tt.want {
			t.Errorf("render(%q) = %q; want %q", tt.tmpl, got, tt.want)
		}
	}
}

func FuzzTextTemplate(f *testing.F) {
	f.Add(`{"message":$context.error.messageString}`)
	f.Add(`${stageVariables.x}$`)
	f.Fuzz(func(t *testing.T, tmpl string) {
		inv := &invoke.Invocation{Err: &invoke.Error{Message: "m"}}
		_ = parseTextTemplate(tmpl, map[string]string{"x": "y"}).render(nil, inv)
	})
}

func TestAppendJSONString(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"plain":    `"plain"`,
		"q\"b\\":   `"q\"b\\"`,
		"\x01\t\r": `"\u0001\t\r"`,
		"héllo ☃":  `"héllo ☃"`,
	} {
		if got := string(invoke.AppendJSONString(nil, in)); got != want {
			t.Errorf("AppendJSONString(%q) = %s; want %s", in, got, want)
		}
	}
}
