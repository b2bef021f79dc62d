package iamapi

import (
	"net/url"
	"strconv"
)

// form is a query-protocol request's parameters: the form-encoded body merged with the URL's
// query (IAM accepts both; the SDKs send the body). A name given twice keeps its first value.
type form map[string]string

// maxFormParams bounds the parameters one call may carry: far more than any operation here
// takes (50 tags are 101), few enough that parsing stays cheap.
const maxFormParams = 1000

// parseForm parses the URL's raw query and the body (application/x-www-form-urlencoded).
// It refuses malformed escapes and more than maxFormParams parameters.
func parseForm(rawQuery string, body []byte) (form, error) {
	f := form{}
	for _, s := range []string{rawQuery, string(body)} {
		if s == "" {
			continue
		}
		values, err := url.ParseQuery(s)
		if err != nil {
			return nil, err
		}
		for k, v := range values {
			if _, seen := f[k]; !seen && len(v) > 0 {
				f[k] = v[0]
			}
		}
		if len(f) > maxFormParams {
			return nil, errTooManyParams
		}
	}
	return f, nil
}

var errTooManyParams = &Error{Status: 400, Code: "ValidationError", Message: "Too many parameters: at most " + strconv.Itoa(maxFormParams) + " a call"}

// get returns the parameter's value and whether it was given.
func (f form) get(name string) (string, bool) {
	v, ok := f[name]
	return v, ok
}

// opt returns the parameter's value, or nil when it was not given.
func (f form) opt(name string) *string {
	if v, ok := f[name]; ok {
		return &v
	}
	return nil
}

// list returns the query protocol's list {name}.member.1, {name}.member.2, ... in order,
// stopping at the first index missing, as AWS reads them; at most max+1 items are read so
// that the caller can report a list that is too long.
func (f form) list(name string, max int) []string {
	var out []string
	for i := 1; i <= max+1; i++ {
		v, ok := f[name+".member."+strconv.Itoa(i)]
		if !ok {
			break
		}
		out = append(out, v)
	}
	return out
}

// tags returns the list of Tag structures {name}.member.N.Key / .Value.
func (f form) tags(name string, max int) []tag {
	var out []tag
	for i := 1; i <= max+1; i++ {
		p := name + ".member." + strconv.Itoa(i) + "."
		k, okKey := f[p+"Key"]
		v, okValue := f[p+"Value"]
		if !okKey && !okValue {
			break
		}
		out = append(out, tag{Key: k, Value: v, hasKey: okKey, hasValue: okValue})
	}
	return out
}

// tag is one Tag of a request.
type tag struct {
	Key, Value       string
	hasKey, hasValue bool
}
