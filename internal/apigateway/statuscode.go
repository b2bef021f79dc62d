package apigateway

// The HTTP status codes API Gateway takes wherever one is named: method and integration
// responses, gateway responses, a MOCK request template's or a Lambda proxy answer's
// statusCode, a template's $context.responseOverride.status. The service model's
// StatusCode pattern is [1-5]\d\d: 100 to 599.
const (
	MinStatusCode = 100
	MaxStatusCode = 599
)

// IsStatusCode reports whether n is a status code API Gateway takes. It is the one range
// check the management API and the data plane share; the data plane further refuses the
// informational 1xx as a final status (gateway.minFinalStatus).
func IsStatusCode[N ~int | ~int64](n N) bool {
	return MinStatusCode <= n && n <= MaxStatusCode
}

// ValidStatusCode reports whether code is written as the service model's pattern
// [1-5]\d\d requires: three digits naming a status code API Gateway takes.
func ValidStatusCode(code string) bool {
	if len(code) != 3 {
		return false
	}
	n := 0
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
		n = n*10 + int(code[i]-'0')
	}
	return IsStatusCode(n)
}
