package gateway

import (
	"strings"

	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
)

// textTemplate is a gateway response template. AWS does not run these through VTL: it
// substitutes $context.* and $stageVariables.* as plain text (AWS_REFERENCE section 1:
// "simple substitution only, in GatewayResponse templates"). Stage variables are resolved
// when the stage compiles.
type textTemplate struct {
	parts []textPart
}

type textPart struct {
	lit string
	ctx string // a $context variable name (without "context."), or "" for a literal
}

// parseTextTemplate splits t into literal text and $context.x / ${context.x} references;
// $stageVariables.x / ${stageVariables.x} are substituted now. Other text, including other
// $references, stays as written.
func parseTextTemplate(t string, vars map[string]string) *textTemplate {
	tt := &textTemplate{}
	var lit strings.Builder
	for i := 0; i < len(t); {
		if t[i] != '$' {
			lit.WriteByte(t[i])
			i++
			continue
		}
		j := i + 1
		braced := j < len(t) && t[j] == '{'
		if braced {
			j++
		}
		k := j
		for k < len(t) && isRefChar(t[k]) {
			k++
		}
		for k > j && t[k-1] == '.' { // a sentence's full stop is not part of the name
			k--
		}
		name := t[j:k]
		end := k
		if braced {
			if k >= len(t) || t[k] != '}' {
				name = ""
			} else {
				end = k + 1
			}
		}
		switch {
		case strings.HasPrefix(name, "context.") && len(name) > len("context."):
			if lit.Len() > 0 {
				tt.parts = append(tt.parts, textPart{lit: lit.String()})
				lit.Reset()
			}
			tt.parts = append(tt.parts, textPart{ctx: name[len("context."):]})
			i = end
		case strings.HasPrefix(name, "stageVariables.") && len(name) > len("stageVariables."):
			lit.WriteString(vars[name[len("stageVariables."):]])
			i = end
		default:
			lit.WriteByte('$')
			i++
		}
	}
	if lit.Len() > 0 {
		tt.parts = append(tt.parts, textPart{lit: lit.String()})
	}
	return tt
}

func isRefChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-'
}

// render appends the template for inv to b. A variable without a value renders empty, as a
// null does in API Gateway templates.
func (tt *textTemplate) render(b []byte, inv *invoke.Invocation) []byte {
	for _, p := range tt.parts {
		if p.ctx == "" {
			b = append(b, p.lit...)
			continue
		}
		v, _ := inv.ContextVar(p.ctx)
		b = append(b, v...)
	}
	return b
}
