// Package meter is the vocabulary of traffic metering shared by the data plane, the
// management plane and the runtime-state backends (internal/localstate in process,
// internal/redisstate in Redis): token buckets, quotas and their periods, the check one
// request makes, and a key's daily usage. It is a leaf library: no I/O, nothing internal.
//
// The semantics every State implementation keeps (meter/metertest holds them to it):
//   - A bucket holds at most Burst tokens and gains Rate tokens a second; it starts full.
//     A request takes one token. Burst 0 admits nothing (a limit of 0 blocks, as on AWS);
//     Rate 0 admits the burst once and never refills.
//   - A quota admits Limit requests in the period [Start, End); its count starts at 0 in
//     each period.
//   - A Check is all or nothing: it is admitted when every bucket has a token and the quota
//     has room, and then (only then) a token is taken from every bucket and one request is
//     counted against the quota and its day. A refused check changes nothing.
//   - Refusal names the first bucket in Check order that is empty (Throttled), else the
//     quota (QuotaExceeded).
package meter

import "time"

// Bucket is one token bucket: Rate tokens a second refill it up to Burst tokens. Key names
// it across requests and nodes ("acct", "stage/{api}/{stage}/{resource}/{METHOD}", ...).
type Bucket struct {
	Key   string
	Rate  float64
	Burst int64
}

// Quota is one API key's quota in a usage plan for the period that holds the request.
type Quota struct {
	// Key names the counted pair: QuotaKey(planID, keyID).
	Key string
	// Limit is the number of requests admitted in the period.
	Limit int64
	// Start and End bound the period, [Start, End), in UTC (Window).
	Start, End time.Time
}

// QuotaKey is the Key of the quota of API key keyID in usage plan planID.
func QuotaKey(planID, keyID string) string { return planID + "/" + keyID }

// Check is what one request asks of the state: a token from each bucket, in the order AWS
// applies them, and one request of the quota (nil when the request is under none).
type Check struct {
	Buckets []Bucket
	Quota   *Quota
}

// Outcome is the state's answer to a Check.
type Outcome uint8

const (
	Admitted      Outcome = iota
	Throttled             // a bucket was empty: 429 Too Many Requests
	QuotaExceeded         // the quota was used up: 429 Limit Exceeded
)

// Day is one API key's usage in one usage plan on one UTC day, as GetUsage reports it.
type Day struct {
	// Date is the UTC day, "2006-01-02" (DateLayout).
	Date string
	// Used is the number of requests counted that day.
	Used int64
	// Remaining is what the quota had left after the day's last count or UpdateUsage, -1
	// when neither happened that day.
	Remaining int64
}

// DateLayout is the layout of Day.Date and of GetUsage's startDate and endDate.
const DateLayout = "2006-01-02"

// Tokens is the state of one token bucket: how many tokens it held at At.
type Tokens struct {
	Level float64
	At    time.Time
}

// Refill returns the bucket's state at now under b's rate and burst: a bucket never seen
// (zero At) is full, a clock that went back refills nothing, and the level never exceeds
// the burst (which may have been lowered since).
func (t Tokens) Refill(b Bucket, now time.Time) Tokens {
	if t.At.IsZero() {
		return Tokens{Level: float64(b.Burst), At: now}
	}
	level := t.Level
	if d := now.Sub(t.At); d > 0 {
		level += b.Rate * d.Seconds()
	} else {
		now = t.At
	}
	return Tokens{Level: min(level, float64(b.Burst)), At: now}
}

// Has reports whether the bucket can give one token.
func (t Tokens) Has() bool { return t.Level >= 1 }

// Window returns the quota period [start, end) that holds now, in UTC, for AWS's period
// DAY, WEEK or MONTH and offset, the day the period starts: DAY periods start at midnight
// UTC (offset 0); WEEK periods on weekday offset (0 Sunday .. 6 Saturday); MONTH periods on
// day offset+1 of the month. ok is false for another period or an offset out of range.
func Window(period string, offset int, now time.Time) (start, end time.Time, ok bool) {
	now = now.UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	switch period {
	case "DAY":
		if offset != 0 {
			return time.Time{}, time.Time{}, false
		}
		return day, day.AddDate(0, 0, 1), true
	case "WEEK":
		if offset < 0 || offset > 6 {
			return time.Time{}, time.Time{}, false
		}
		back := (int(day.Weekday()) - offset + 7) % 7
		start = day.AddDate(0, 0, -back)
		return start, start.AddDate(0, 0, 7), true
	case "MONTH":
		if offset < 0 || offset > MaxMonthOffset {
			return time.Time{}, time.Time{}, false
		}
		start = time.Date(now.Year(), now.Month(), 1+offset, 0, 0, 0, 0, time.UTC)
		if now.Before(start) {
			start = start.AddDate(0, -1, 0)
		}
		return start, start.AddDate(0, 1, 0), true
	}
	return time.Time{}, time.Time{}, false
}

// MaxMonthOffset is the largest MONTH offset: day 28 exists in every month, so a period
// starting on day offset+1 starts on the same day each month.
const MaxMonthOffset = 27
