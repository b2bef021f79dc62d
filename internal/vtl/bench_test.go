package vtl

import (
	"strings"
	"testing"
)

// benchTemplate is a typical request template: it reshapes a JSON body with a loop over
// ~20 items, conditionals and string methods.
const benchTemplate = `#set($inputRoot = $input)
{
  "requestId": "$context.requestId",
  "stage": "$context.stage",
  "customer": "$inputRoot.customer.name.toLowerCase()",
  "count": $inputRoot.items.size(),
  "items": [
#foreach($item in $inputRoot.items)
    {
      "sku": "$item.sku",
      "quantity": $item.qty,
      "price": $item.price,
      #if($item.gift)"gift": true,#end
      "note": "$!item.note"
    }#if($foreach.hasNext),#end

#end
  ]
}`

func benchBody() string {
	var b strings.Builder
	b.WriteString(`{"customer":{"name":"ACME Corp","id":17},"items":[`)
	for i := 0; i < 20; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"sku":"SKU-00` + string(rune('A'+i)) + `","qty":` + string(rune('1'+i%9)) + `,"price":12.5,"gift":` + map[bool]string{true: "true", false: "false"}[i%3 == 0] + `,"note":"handle with care"}`)
	}
	b.WriteString(`]}`)
	return b.String()
}

func BenchmarkExecute(b *testing.B) {
	tmpl, err := Parse(benchTemplate)
	if err != nil {
		b.Fatal(err)
	}
	body, err := ParseJSON([]byte(benchBody()))
	if err != nil {
		b.Fatal(err)
	}
	ctx := NewMap()
	ctx.Set("requestId", "c6af9ac6-7b61-11e6-9a41-93e8deadbeef")
	ctx.Set("stage", "prod")
	globals := map[string]any{"input": body, "context": ctx}
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	b.SetBytes(int64(len(benchBody())))
	for b.Loop() {
		out, err := tmpl.Execute(buf[:0], globals, Limits{})
		if err != nil {
			b.Fatal(err)
		}
		buf = out
	}
}

func BenchmarkParseJSON(b *testing.B) {
	body := []byte(benchBody())
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := ParseJSON(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(benchTemplate); err != nil {
			b.Fatal(err)
		}
	}
}
