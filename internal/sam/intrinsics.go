package sam

import (
	"fmt"
	"strconv"
	"strings"
)

// Env is what the intrinsic functions see: the parameter values, the pseudo parameters and
// the resources' Ref and Fn::GetAtt values. Resolution is CloudFormation's, applied before
// translation, as SAM resolves what it needs of a template.
type Env struct {
	Region, AccountID, StackName string
	Params                       map[string]any                           // parameter → value (defaults and overrides applied)
	Conditions                   map[string]bool                          // evaluated conditions
	Ref                          func(logicalID string) (any, bool)       // a resource's Ref value
	GetAtt                       func(logicalID, attr string) (any, bool) // a resource's attribute
}

// noValue is AWS::NoValue: the property it is the value of is removed.
type noValue struct{}

// Resolve evaluates every intrinsic function in v. path names v in errors.
func (e *Env) Resolve(v any, path string) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return e.call(k, arg, path)
				}
			}
		}
		out := make(map[string]any, len(x))
		for _, k := range sortedKeys(x) {
			r, err := e.Resolve(x[k], path+"."+k)
			if err != nil {
				return nil, err
			}
			if _, drop := r.(noValue); drop {
				continue
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, 0, len(x))
		for i, el := range x {
			r, err := e.Resolve(el, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			if _, drop := r.(noValue); drop {
				continue
			}
			out = append(out, r)
		}
		return out, nil
	}
	return v, nil
}

func (e *Env) call(fn string, arg any, path string) (any, error) {
	at := path + "." + fn
	switch fn {
	case "Ref":
		name, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("%s: Ref takes a string", at)
		}
		return e.ref(name, at)
	case "Fn::GetAtt":
		var id, attr string
		switch a := arg.(type) {
		case string:
			id, attr, _ = strings.Cut(a, ".")
		case []any:
			if len(a) == 2 {
				id, _ = a[0].(string)
				r, err := e.Resolve(a[1], at)
				if err != nil {
					return nil, err
				}
				attr, _ = r.(string)
			}
		}
		if id == "" || attr == "" {
			return nil, fmt.Errorf("%s: Fn::GetAtt takes [LogicalId, Attribute]", at)
		}
		if e.GetAtt != nil {
			if v, ok := e.GetAtt(id, attr); ok {
				return v, nil
			}
		}
		return nil, fmt.Errorf("%s: Fn::GetAtt %s.%s: no such resource or attribute", at, id, attr)
	case "Fn::Sub":
		var tmpl string
		vars := map[string]any{}
		switch a := arg.(type) {
		case string:
			tmpl = a
		case []any:
			if len(a) != 2 {
				return nil, fmt.Errorf("%s: Fn::Sub takes a string or [string, {variables}]", at)
			}
			s, ok := a[0].(string)
			m, ok2 := a[1].(map[string]any)
			if !ok || !ok2 {
				return nil, fmt.Errorf("%s: Fn::Sub takes a string or [string, {variables}]", at)
			}
			tmpl = s
			for k, v := range m {
				r, err := e.Resolve(v, at+"."+k)
				if err != nil {
					return nil, err
				}
				vars[k] = r
			}
		default:
			return nil, fmt.Errorf("%s: Fn::Sub takes a string or [string, {variables}]", at)
		}
		return e.sub(tmpl, vars, at)
	case "Fn::Join":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, fmt.Errorf("%s: Fn::Join takes [delimiter, [values]]", at)
		}
		sep, ok := a[0].(string)
		if !ok {
			return nil, fmt.Errorf("%s: Fn::Join's delimiter must be a string", at)
		}
		list, err := e.Resolve(a[1], at)
		if err != nil {
			return nil, err
		}
		items, ok := list.([]any)
		if !ok {
			return nil, fmt.Errorf("%s: Fn::Join's values must be a list", at)
		}
		parts := make([]string, len(items))
		for i, it := range items {
			s, err := stringOf(it)
			if err != nil {
				return nil, fmt.Errorf("%s[%d]: %w", at, i, err)
			}
			parts[i] = s
		}
		return strings.Join(parts, sep), nil
	case "Fn::Select":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, fmt.Errorf("%s: Fn::Select takes [index, [values]]", at)
		}
		idx, err := e.Resolve(a[0], at)
		if err != nil {
			return nil, err
		}
		list, err := e.Resolve(a[1], at)
		if err != nil {
			return nil, err
		}
		items, ok := list.([]any)
		if !ok {
			return nil, fmt.Errorf("%s: Fn::Select's values must be a list", at)
		}
		s, _ := stringOf(idx)
		i, err := strconv.Atoi(s)
		if err != nil || i < 0 || i >= len(items) {
			return nil, fmt.Errorf("%s: Fn::Select index %v is out of range for %d values", at, idx, len(items))
		}
		return items[i], nil
	case "Fn::Split":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, fmt.Errorf("%s: Fn::Split takes [delimiter, string]", at)
		}
		sep, _ := a[0].(string)
		r, err := e.Resolve(a[1], at)
		if err != nil {
			return nil, err
		}
		s, ok := r.(string)
		if !ok || sep == "" {
			return nil, fmt.Errorf("%s: Fn::Split takes [delimiter, string]", at)
		}
		var out []any
		for _, p := range strings.Split(s, sep) {
			out = append(out, p)
		}
		return out, nil
	case "Fn::If":
		a, ok := arg.([]any)
		if !ok || len(a) != 3 {
			return nil, fmt.Errorf("%s: Fn::If takes [condition, value if true, value if false]", at)
		}
		name, _ := a[0].(string)
		c, ok := e.Conditions[name]
		if !ok {
			return nil, fmt.Errorf("%s: Fn::If: no condition named %q", at, name)
		}
		if c {
			return e.Resolve(a[1], at)
		}
		return e.Resolve(a[2], at)
	case "Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or":
		b, err := e.condition(map[string]any{fn: arg}, at)
		return b, err
	}
	return nil, fmt.Errorf("%s: the intrinsic function %s is not supported", path, fn)
}

func (e *Env) ref(name, at string) (any, error) {
	switch name {
	case "AWS::Region":
		return e.Region, nil
	case "AWS::AccountId":
		return e.AccountID, nil
	case "AWS::StackName":
		return e.StackName, nil
	case "AWS::StackId":
		return fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s/%s", e.Region, e.AccountID, e.StackName, e.StackName), nil
	case "AWS::Partition":
		return "aws", nil
	case "AWS::URLSuffix":
		return "amazonaws.com", nil
	case "AWS::NoValue":
		return noValue{}, nil
	}
	if v, ok := e.Params[name]; ok {
		return v, nil
	}
	if e.Ref != nil {
		if v, ok := e.Ref(name); ok {
			return v, nil
		}
	}
	return nil, fmt.Errorf("%s: Ref %s: no such parameter or resource", at, name)
}

// sub expands ${Name}, ${Resource.Attr} and ${!Literal} in s.
func (e *Env) sub(s string, vars map[string]any, at string) (any, error) {
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		s = s[i+2:]
		j := strings.IndexByte(s, '}')
		if j < 0 {
			return nil, fmt.Errorf("%s: Fn::Sub: unterminated ${ in the string", at)
		}
		name := s[:j]
		s = s[j+1:]
		if strings.HasPrefix(name, "!") { // ${!Literal} writes ${Literal}
			b.WriteString("${" + name[1:] + "}")
			continue
		}
		var v any
		if x, ok := vars[name]; ok {
			v = x
		} else if id, attr, dotted := strings.Cut(name, "."); dotted && !strings.HasPrefix(name, "AWS::") {
			r, err := e.call("Fn::GetAtt", []any{id, attr}, at)
			if err != nil {
				return nil, err
			}
			v = r
		} else {
			r, err := e.ref(name, at)
			if err != nil {
				return nil, err
			}
			v = r
		}
		str, err := stringOf(v)
		if err != nil {
			return nil, fmt.Errorf("%s: Fn::Sub ${%s}: %w", at, name, err)
		}
		b.WriteString(str)
	}
}

// condition evaluates a condition expression.
func (e *Env) condition(v any, at string) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				switch k {
				case "Condition":
					name, _ := arg.(string)
					c, ok := e.Conditions[name]
					if !ok {
						return false, fmt.Errorf("%s: no condition named %q (or it refers to itself)", at, name)
					}
					return c, nil
				case "Fn::Equals":
					a, ok := arg.([]any)
					if !ok || len(a) != 2 {
						return false, fmt.Errorf("%s: Fn::Equals takes two values", at)
					}
					l, err := e.Resolve(a[0], at)
					if err != nil {
						return false, err
					}
					r, err := e.Resolve(a[1], at)
					if err != nil {
						return false, err
					}
					ls, err1 := stringOf(l)
					rs, err2 := stringOf(r)
					if err1 != nil || err2 != nil {
						return fmt.Sprint(l) == fmt.Sprint(r), nil
					}
					return ls == rs, nil
				case "Fn::Not":
					a, ok := arg.([]any)
					if !ok || len(a) != 1 {
						return false, fmt.Errorf("%s: Fn::Not takes one condition", at)
					}
					c, err := e.condition(a[0], at)
					return !c, err
				case "Fn::And", "Fn::Or":
					a, ok := arg.([]any)
					if !ok || len(a) < 2 || len(a) > 10 {
						return false, fmt.Errorf("%s: %s takes 2 to 10 conditions", at, k)
					}
					and := k == "Fn::And"
					result := and
					for _, c := range a {
						b, err := e.condition(c, at)
						if err != nil {
							return false, err
						}
						if and {
							result = result && b
						} else {
							result = result || b
						}
					}
					return result, nil
				}
			}
		}
	}
	return false, fmt.Errorf("%s: not a condition (Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition)", at)
}

// EvaluateConditions evaluates every condition of conds, in dependency order.
func (e *Env) EvaluateConditions(conds map[string]any) error {
	e.Conditions = map[string]bool{}
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(name string) error
	visit = func(name string) error {
		switch state[name] {
		case 1:
			return fmt.Errorf("Conditions.%s: the condition refers to itself", name)
		case 2:
			return nil
		}
		state[name] = 1
		for _, dep := range conditionRefs(conds[name]) {
			if _, ok := conds[dep]; !ok {
				return fmt.Errorf("Conditions.%s: no condition named %q", name, dep)
			}
			if err := visit(dep); err != nil {
				return err
			}
		}
		b, err := e.condition(conds[name], "Conditions."+name)
		if err != nil {
			return err
		}
		e.Conditions[name] = b
		state[name] = 2
		return nil
	}
	for _, name := range sortedKeys(conds) {
		if err := visit(name); err != nil {
			return err
		}
	}
	return nil
}

func conditionRefs(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if k == "Condition" {
				if s, ok := e.(string); ok {
					out = append(out, s)
				}
				continue
			}
			out = append(out, conditionRefs(e)...)
		}
	case []any:
		for _, e := range x {
			out = append(out, conditionRefs(e)...)
		}
	}
	return out
}

func stringOf(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(x), nil
	}
	return "", fmt.Errorf("%v is not a string", v)
}
