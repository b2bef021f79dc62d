package meter

import (
	"testing"
	"time"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestTokensRefill(t *testing.T) {
	t.Parallel()
	b := Bucket{Key: "k", Rate: 2, Burst: 5}
	t0 := at("2026-12-02T10:00:00Z")
	tests := []struct {
		name string
		in   Tokens
		b    Bucket
		now  time.Time
		want Tokens
	}{
		{"a bucket never seen is full", Tokens{}, b, t0, Tokens{Level: 5, At: t0}},
		{"steady rate", Tokens{Level: 0, At: t0}, b, t0.Add(1500 * time.Millisecond), Tokens{Level: 3, At: t0.Add(1500 * time.Millisecond)}},
		{"idle refills to the burst, not beyond", Tokens{Level: 1, At: t0}, b, t0.Add(time.Hour), Tokens{Level: 5, At: t0.Add(time.Hour)}},
		{"a clock that went back refills nothing", Tokens{Level: 1, At: t0}, b, t0.Add(-time.Second), Tokens{Level: 1, At: t0}},
		{"a lowered burst caps the level", Tokens{Level: 5, At: t0}, Bucket{Rate: 2, Burst: 2}, t0, Tokens{Level: 2, At: t0}},
		{"rate 0 never refills", Tokens{Level: 0, At: t0}, Bucket{Rate: 0, Burst: 5}, t0.Add(time.Hour), Tokens{Level: 0, At: t0.Add(time.Hour)}},
		{"burst 0 starts empty", Tokens{}, Bucket{Rate: 100, Burst: 0}, t0, Tokens{Level: 0, At: t0}},
		{"burst 0 stays empty", Tokens{Level: 0, At: t0}, Bucket{Rate: 100, Burst: 0}, t0.Add(time.Hour), Tokens{Level: 0, At: t0.Add(time.Hour)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.in.Refill(tt.b, tt.now); got.Level != tt.want.Level || !got.At.Equal(tt.want.At) {
				t.Errorf("%+v.Refill(%+v, %v) = %+v; want %+v", tt.in, tt.b, tt.now, got, tt.want)
			}
		})
	}
}

func TestTokensHas(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		level float64
		want  bool
	}{{0, false}, {0.999, false}, {1, true}, {4.5, true}} {
		if got := (Tokens{Level: tt.level}).Has(); got != tt.want {
			t.Errorf("Tokens{Level: %v}.Has() = %v; want %v", tt.level, got, tt.want)
		}
	}
}

// TestBucketBurstThenRate takes tokens as a state would: a full bucket gives its burst at
// once, then one token per 1/rate seconds.
func TestBucketBurstThenRate(t *testing.T) {
	t.Parallel()
	b := Bucket{Rate: 4, Burst: 3}
	t0 := at("2026-12-02T10:00:00Z")
	var tok Tokens
	admitted := 0
	for i := range 40 { // 40 requests 50 ms apart: 2 s
		tok = tok.Refill(b, t0.Add(time.Duration(i)*50*time.Millisecond))
		if tok.Has() {
			tok.Level--
			admitted++
		}
	}
	// The burst of 3, then what 4 tokens a second refill over the 1.95 s the requests span
	// (7.8 tokens), whole tokens only: 3 + 7.
	if want := 3 + 7; admitted != want {
		t.Errorf("burst 3 rate 4 over 2 s at 20 rps admitted %d; want %d", admitted, want)
	}
}

func TestWindow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		period     string
		offset     int
		now        string
		start, end string
	}{
		{"DAY", 0, "2026-12-02T10:00:00Z", "2026-12-02T00:00:00Z", "2026-12-03T00:00:00Z"},
		{"DAY", 0, "2026-12-02T00:00:00Z", "2026-12-02T00:00:00Z", "2026-12-03T00:00:00Z"},
		{"DAY", 0, "2026-12-02T23:59:59Z", "2026-12-02T00:00:00Z", "2026-12-03T00:00:00Z"},
		{"DAY", 0, "2026-12-02T01:00:00+05:00", "2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z"}, // 20:00 UTC the day before
		// 2026-12-02 is a Wednesday; 2026-11-29 a Sunday.
		{"WEEK", 0, "2026-12-02T10:00:00Z", "2026-11-29T00:00:00Z", "2026-12-06T00:00:00Z"},
		{"WEEK", 1, "2026-12-02T10:00:00Z", "2026-11-30T00:00:00Z", "2026-12-07T00:00:00Z"},
		{"WEEK", 3, "2026-12-02T10:00:00Z", "2026-12-02T00:00:00Z", "2026-12-09T00:00:00Z"},
		{"WEEK", 4, "2026-12-02T10:00:00Z", "2026-11-26T00:00:00Z", "2026-12-03T00:00:00Z"},
		{"WEEK", 6, "2026-12-02T10:00:00Z", "2026-11-28T00:00:00Z", "2026-12-05T00:00:00Z"},
		{"WEEK", 0, "2026-11-29T00:00:00Z", "2026-11-29T00:00:00Z", "2026-12-06T00:00:00Z"},
		{"WEEK", 0, "2026-11-28T23:59:59Z", "2026-11-22T00:00:00Z", "2026-11-29T00:00:00Z"},
		{"MONTH", 0, "2026-12-02T10:00:00Z", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"},
		{"MONTH", 0, "2026-12-31T23:59:59Z", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"},
		{"MONTH", 0, "2027-01-01T00:00:00Z", "2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z"},
		{"MONTH", 27, "2026-12-02T10:00:00Z", "2026-11-28T00:00:00Z", "2026-12-28T00:00:00Z"},
		{"MONTH", 27, "2027-02-28T00:00:00Z", "2027-02-28T00:00:00Z", "2027-03-28T00:00:00Z"},
		{"MONTH", 27, "2028-02-29T12:00:00Z", "2028-02-28T00:00:00Z", "2028-03-28T00:00:00Z"}, // leap year
		{"MONTH", 27, "2027-01-27T23:59:59Z", "2026-12-28T00:00:00Z", "2027-01-28T00:00:00Z"},
		{"MONTH", 0, "2028-02-29T12:00:00Z", "2028-02-01T00:00:00Z", "2028-03-01T00:00:00Z"},
	}
	for _, tt := range tests {
		start, end, ok := Window(tt.period, tt.offset, at(tt.now))
		if !ok || !start.Equal(at(tt.start)) || !end.Equal(at(tt.end)) {
			t.Errorf("Window(%s, %d, %s) = %v, %v, %v; want %s, %s, true", tt.period, tt.offset, tt.now, start, end, ok, tt.start, tt.end)
		}
		if start.Location() != time.UTC {
			t.Errorf("Window(%s, %d, %s) start in %v; want UTC", tt.period, tt.offset, tt.now, start.Location())
		}
	}
}

func TestWindowRefuses(t *testing.T) {
	t.Parallel()
	now := at("2026-12-02T10:00:00Z")
	for _, tt := range []struct {
		period string
		offset int
	}{{"DAY", 1}, {"DAY", -1}, {"WEEK", 7}, {"WEEK", -1}, {"MONTH", 28}, {"MONTH", -1}, {"YEAR", 0}, {"", 0}, {"day", 0}} {
		if _, _, ok := Window(tt.period, tt.offset, now); ok {
			t.Errorf("Window(%q, %d, now) ok; want refused", tt.period, tt.offset)
		}
	}
}
