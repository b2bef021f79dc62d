package lambda

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store/memory"
)

// TestChooseVersionWeight resolves a 10% alias 10,000 times with a seeded source: the
// additional version runs 1,000 times give or take 4 standard deviations of the binomial
// (sqrt(10000*0.1*0.9) = 30, so ±120, ±1.2%).
func TestChooseVersionWeight(t *testing.T) {
	t.Parallel()
	scope := Scope{AccountID: "123456789012", Region: "eu-west-1"}
	fn := &Function{
		Configuration: FunctionConfiguration{FunctionName: "w", Version: LatestVersion},
		Versions: []*Version{
			{Configuration: FunctionConfiguration{FunctionName: "w", Version: "1"}},
			{Configuration: FunctionConfiguration{FunctionName: "w", Version: "2"}},
		},
		Aliases: []*Alias{{Configuration: AliasConfiguration{Name: "live", FunctionVersion: "1",
			RoutingConfig: &AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.1}}}}},
	}
	for _, seed := range []uint64{1, 2, 3} {
		r := rand.New(rand.NewPCG(seed, 42))
		const n, p = 10000, 0.1
		count := map[string]int{}
		for range n {
			q, err := fn.Resolve(scope, "live", r.Float64)
			if err != nil {
				t.Fatal(err)
			}
			if q.ARN != "arn:aws:lambda:eu-west-1:123456789012:function:w:live" || q.Function.Configuration.Version != q.Version {
				t.Fatalf("Resolve(live) = %+v", q)
			}
			count[q.Version]++
		}
		sigma := math.Sqrt(n * p * (1 - p))
		if got := float64(count["2"]); math.Abs(got-n*p) > 4*sigma || count["1"]+count["2"] != n {
			t.Errorf("seed %d: 10000 resolutions of a 0.1 alias ran %v; want version 2 %v ± %v times", seed, count, n*p, 4*sigma)
		}
	}
}

// TestResolve is Function.Resolve(q) = the version that runs; a missing one is not found
// with its qualified ARN.
func TestResolve(t *testing.T) {
	t.Parallel()
	scope := Scope{AccountID: "123456789012", Region: "eu-west-1"}
	fn := &Function{
		Configuration: FunctionConfiguration{FunctionName: "r", Version: LatestVersion},
		Policy:        []Statement{{Sid: "latest"}},
		Versions:      []*Version{{Configuration: FunctionConfiguration{FunctionName: "r", Version: "3"}, Policy: []Statement{{Sid: "v3"}}}},
		Aliases: []*Alias{
			{Configuration: AliasConfiguration{Name: "live", FunctionVersion: "3"}, Policy: []Statement{{Sid: "live"}}},
			{Configuration: AliasConfiguration{Name: "gone", FunctionVersion: "9"}},
		},
	}
	never := func() float64 { t.Fatal("draw for an alias without routing"); return 0 }
	tests := []struct{ q, version, sid, err string }{
		{"", LatestVersion, "latest", ""},
		{LatestVersion, LatestVersion, "latest", ""},
		{"3", "3", "v3", ""},
		{"live", "3", "live", ""},
		{"4", "", "", "Function not found: arn:aws:lambda:eu-west-1:123456789012:function:r:4"},
		{"beta", "", "", "Function not found: arn:aws:lambda:eu-west-1:123456789012:function:r:beta"},
		{"gone", "", "", "Function not found: arn:aws:lambda:eu-west-1:123456789012:function:r:9"},
	}
	for _, tt := range tests {
		q, err := fn.Resolve(scope, tt.q, never)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("Resolve(%q) error = %v; want %s", tt.q, err, tt.err)
			}
			continue
		}
		if err != nil || q.Version != tt.version || len(q.Function.Policy) != 1 || q.Function.Policy[0].Sid != tt.sid {
			t.Errorf("Resolve(%q) = %+v, %v; want version %s with policy %s", tt.q, q, err, tt.version, tt.sid)
		}
	}
}

// TestPublishConcurrent publishes from many writers at once, each after its own change: every
// version number is taken exactly once, and a number freed by a delete is not taken again.
func TestPublishConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := NewRegistry(memory.New(), testScope, nil)
	if _, err := r.Create(ctx, &Function{Configuration: FunctionConfiguration{FunctionName: "c", Runtime: "provided.al2023", Handler: "bootstrap", CodeSha256: "AAAA"}}); err != nil {
		t.Fatal(err)
	}
	const n = 16
	var wg sync.WaitGroup
	got := make(chan string, n)
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A change and its version in one write, as UpdateFunctionConfiguration with Publish.
			fn, err := r.Update(ctx, "c", "", ChangeConfig, func(f *Function) error {
				f.Configuration.Description = fmt.Sprint("writer ", w)
				f.Configuration.Timeout = 1 + w
				r.PublishIn(f, nil)
				return nil
			})
			if err != nil {
				t.Error(err)
				return
			}
			got <- fn.Versions[len(fn.Versions)-1].Configuration.Version
		}()
	}
	wg.Wait()
	close(got)
	seen := map[string]bool{}
	for v := range got {
		if seen[v] {
			t.Errorf("version %s published twice", v)
		}
		seen[v] = true
	}
	fn, err := r.Get(ctx, "c")
	if err != nil || len(fn.Versions) != n || fn.LastVersion != n || len(seen) != n {
		t.Fatalf("after %d concurrent publishes: %d versions, LastVersion %d, %v", n, len(fn.Versions), fn.LastVersion, err)
	}
	if _, err := r.DeleteVersion(ctx, "c", fmt.Sprint(n)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Update(ctx, "c", "", ChangeConfig, func(f *Function) error { f.Configuration.Timeout = 99; return nil }); err != nil {
		t.Fatal(err)
	}
	v, created, err := r.Publish(ctx, "c", "", "", nil)
	if err != nil || !created || v.Configuration.Version != fmt.Sprint(n+1) {
		t.Errorf("Publish after deleting version %d = %+v, %v, %v; want version %d", n, v, created, err, n+1)
	}
}
