package iamapi

import (
	"strings"
	"testing"
)

func TestParseForm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		query, body string
		want        form
		wantErr     bool
	}{
		{"", "Action=ListUsers&Version=2010-05-08", form{"Action": "ListUsers", "Version": "2010-05-08"}, false},
		{"Action=GetUser", "Action=ListUsers&UserName=a%2Bb+c", form{"Action": "GetUser", "UserName": "a+b c"}, false},
		{"", "Action=%zz", nil, true},
		{"", strings.Repeat("a=1&", 0) + manyParams(maxFormParams+1), nil, true},
	}
	for _, tt := range tests {
		got, err := parseForm(tt.query, []byte(tt.body))
		if (err != nil) != tt.wantErr {
			t.Errorf("parseForm(%q, %q) error = %v; want error %v", tt.query, tt.body, err, tt.wantErr)
			continue
		}
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("parseForm(%q, %q)[%q] = %q; want %q", tt.query, tt.body, k, got[k], v)
			}
		}
	}
	f := form{"Tags.member.1.Key": "a", "Tags.member.1.Value": "1", "Tags.member.2.Key": "b", "Tags.member.3.Key": "gap"}
	if tags := f.tags("Tags", 50); len(tags) != 3 || tags[1].hasValue || tags[2].Key != "gap" {
		t.Errorf("tags = %+v; want three, the second without a value", tags)
	}
	if l := (form{"TagKeys.member.1": "a", "TagKeys.member.3": "c"}).list("TagKeys", 50); len(l) != 1 {
		t.Errorf("list stops at the first gap: got %v", l)
	}
}

func manyParams(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("p")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString(string(rune('a' + i%26)))
		b.WriteString(itoa(i))
		b.WriteString("=1&")
	}
	return b.String()
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var d []byte
	for ; i > 0; i /= 10 {
		d = append([]byte{byte('0' + i%10)}, d...)
	}
	return string(d)
}

// FuzzParseForm holds the query-form parser and the list readers to never panic, to read a
// list no longer than asked for plus one, and to bound the parameters a call may carry.
func FuzzParseForm(f *testing.F) {
	f.Add("Action=GetUser", "Action=TagUser&UserName=a&Tags.member.1.Key=k&Tags.member.1.Value=v&TagKeys.member.1=x")
	f.Add("", "%zz&=&&a=%41")
	f.Fuzz(func(t *testing.T, query, body string) {
		fm, err := parseForm(query, []byte(body))
		if err != nil {
			return
		}
		if len(fm) > maxFormParams {
			t.Fatalf("parseForm accepted %d parameters; at most %d", len(fm), maxFormParams)
		}
		if n := len(fm.tags("Tags", 50)); n > 51 {
			t.Fatalf("tags read %d; at most 51", n)
		}
		if n := len(fm.list("TagKeys", 50)); n > 51 {
			t.Fatalf("list read %d; at most 51", n)
		}
		var v validation
		v.checkName(fm, "UserName", "userName", true, 64)
		v.checkPath(fm, "Path", "path", false)
		checkTags(&v, fm, "Tags")
		_ = checkIdentityPolicy(fm["PolicyDocument"])
	})
}
