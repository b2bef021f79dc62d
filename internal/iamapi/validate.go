package iamapi

import (
	"crypto/rand"
	"strconv"
	"unicode/utf8"
)

// nameChar reports whether c is in IAM's name pattern [\w+=,.@-] (Java's \w: ASCII letters,
// digits and underscore), the pattern of user and policy names.
func nameChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' ||
		c == '+' || c == '=' || c == ',' || c == '.' || c == '@' || c == '-'
}

const namePattern = `[\w+=,.@-]+`

// checkName checks a name parameter against the model's userNameType (max 64: a new user's
// name), existingUserNameType (max 128) or policyNameType (max 128).
func (v *validation) checkName(f form, param, member string, required bool, max int) string {
	value, ok := f.get(param)
	if !ok {
		if required {
			v.add(nil, member, "Member must not be null")
		}
		return ""
	}
	n := utf8.RuneCountInString(value)
	if n < 1 {
		v.add(&value, member, "Member must have length greater than or equal to 1")
		return value
	}
	if n > max {
		v.add(&value, member, "Member must have length less than or equal to "+strconv.Itoa(max))
	}
	for i := 0; i < len(value); i++ {
		if !nameChar(value[i]) {
			v.add(&value, member, "Member must satisfy regular expression pattern: "+namePattern)
			break
		}
	}
	return value
}

// checkPath checks a path against pathType, "/" or "/" + [\u0021-\u007E]+ + "/", 512 at most;
// prefix checks a PathPrefix against pathPrefixType, "/" + [\u0021-\u007F]*.
func (v *validation) checkPath(f form, param, member string, prefix bool) (string, bool) {
	value, ok := f.get(param)
	if !ok {
		return "/", false
	}
	if len(value) > 512 {
		v.add(&value, member, "Member must have length less than or equal to 512")
	}
	if len(value) < 1 {
		v.add(&value, member, "Member must have length greater than or equal to 1")
		return value, true
	}
	good := value[0] == '/'
	last := byte('~')
	if prefix {
		last = 0x7f
	} else {
		good = good && value[len(value)-1] == '/'
	}
	for i := 0; i < len(value); i++ {
		good = good && value[i] >= 0x21 && value[i] <= last
	}
	if !good {
		pattern := `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`
		if prefix {
			pattern = `\u002F[\u0021-\u007F]*`
		}
		v.add(&value, member, "Member must satisfy regular expression pattern: "+pattern)
	}
	return value, true
}

// checkMaxItems checks MaxItems (maxItemsType, 1 to 1,000) and returns it, 100 when absent
// (IAM's default).
func (v *validation) checkMaxItems(f form) int {
	value, ok := f.get("MaxItems")
	if !ok {
		return 100
	}
	n, err := strconv.Atoi(value)
	switch {
	case err != nil:
		v.add(&value, "maxItems", "Member must be an integer")
	case n < 1:
		v.add(&value, "maxItems", "Member must have value greater than or equal to 1")
	case n > 1000:
		v.add(&value, "maxItems", "Member must have value less than or equal to 1000")
	}
	return n
}

// checkAccessKeyID checks an AccessKeyId against accessKeyIdType: 16 to 128 of [\w].
func (v *validation) checkAccessKeyID(f form) string {
	value, ok := f.get("AccessKeyId")
	if !ok {
		v.add(nil, "accessKeyId", "Member must not be null")
		return ""
	}
	if len(value) < 16 {
		v.add(&value, "accessKeyId", "Member must have length greater than or equal to 16")
	}
	if len(value) > 128 {
		v.add(&value, "accessKeyId", "Member must have length less than or equal to 128")
	}
	for i := 0; i < len(value); i++ {
		c := value[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			v.add(&value, "accessKeyId", `Member must satisfy regular expression pattern: [\w]+`)
			break
		}
	}
	return value
}

// validAccessKeyID reports whether id could be a stored key's id (a store key component).
func validAccessKeyID(id string) bool {
	var v validation
	v.checkAccessKeyID(form{"AccessKeyId": id})
	return len(v) == 0
}

// The alphabets of IAM's identifiers: unique ids (AIDA...) use upper-case letters and
// digits, access key ids (AKIA...) base32's A-Z2-7, secrets base64's.
const (
	uniqueIDAlphabet  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	accessKeyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	secretAlphabet    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

// randomString returns n characters of alphabet, uniformly (rejection sampling).
func randomString(alphabet string, n int) string {
	out := make([]byte, 0, n)
	limit := 256 - 256%len(alphabet)
	var buf [64]byte
	for len(out) < n {
		rand.Read(buf[:])
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out)
}

func newUserID() string      { return "AIDA" + randomString(uniqueIDAlphabet, 17) }
func newAccessKeyID() string { return "AKIA" + randomString(accessKeyAlphabet, 16) }
func newSecret() string      { return randomString(secretAlphabet, 40) }
