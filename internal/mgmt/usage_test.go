package mgmt

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	model "github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/meter"
)

// memUsageCounter is an in-test UsageCounter over maps, for the unit tests of GetUsage and
// UpdateUsage (the code that uses a counter). The real counters are internal/localstate and
// internal/redisstate, held to the contract by internal/meter/metertest.
type memUsageCounter struct {
	mu     sync.Mutex
	days   map[string]map[string]meter.Day // quota key → date → day
	counts map[string]int64                // quota key + period start → count
}

func newMemUsageCounter() *memUsageCounter {
	return &memUsageCounter{days: map[string]map[string]meter.Day{}, counts: map[string]int64{}}
}

func periodKey(q meter.Quota) string { return q.Key + "@" + q.Start.Format(time.RFC3339) }

// request counts n requests against q on now's day, as an admitted Check would.
func (m *memUsageCounter) request(q meter.Quota, now time.Time, n int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.counts[periodKey(q)] += n
	date := now.UTC().Format(meter.DateLayout)
	if m.days[q.Key] == nil {
		m.days[q.Key] = map[string]meter.Day{}
	}
	d := m.days[q.Key][date]
	d.Date, d.Used, d.Remaining = date, d.Used+n, q.Limit-m.counts[periodKey(q)]
	m.days[q.Key][date] = d
}

func (m *memUsageCounter) Days(_ context.Context, quotaKey string, from, to time.Time) ([]meter.Day, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []meter.Day
	for day := from; !day.After(to); day = day.AddDate(0, 0, 1) {
		date := day.Format(meter.DateLayout)
		d, ok := m.days[quotaKey][date]
		if !ok {
			d = meter.Day{Date: date, Remaining: -1}
		}
		out = append(out, d)
	}
	return out, nil
}

func (m *memUsageCounter) Used(_ context.Context, q meter.Quota) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts[periodKey(q)], nil
}

func (m *memUsageCounter) SetRemaining(_ context.Context, q meter.Quota, now time.Time, remaining int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.counts[periodKey(q)] = q.Limit - remaining
	date := now.UTC().Format(meter.DateLayout)
	if m.days[q.Key] == nil {
		m.days[q.Key] = map[string]meter.Day{}
	}
	d := m.days[q.Key][date]
	d.Date, d.Remaining = date, remaining
	m.days[q.Key][date] = d
	return nil
}

var _ UsageCounter = (*memUsageCounter)(nil)

// usageEnv is a server with the in-test counter and a clock at Friday 2025-05-30 16:00 UTC.
func usageEnv(t *testing.T) (*env, *memUsageCounter, time.Time) {
	t.Helper()
	now := time.Date(2025, 5, 30, 16, 0, 0, 0, time.UTC)
	counter := newMemUsageCounter()
	e := newConfigEnv(t, func(c *Config) {
		c.Usage = counter
		c.Now = func() model.Timestamp { return model.Timestamp(now) }
	})
	return e, counter, now
}

func day(s string) time.Time {
	t, err := time.Parse(meter.DateLayout, s)
	if err != nil {
		panic(err)
	}
	return t.Add(10 * time.Hour)
}

// quotaOf is the meter.Quota of key in plan at now.
func quotaOf(t *testing.T, e *env, planID, keyID string, now time.Time) meter.Quota {
	t.Helper()
	doc, _ := storedJSON[model.UsagePlanDocument](t, e, e.scope.UsagePlanKey(planID))
	q, ok := usageQuota(&doc.UsagePlan, keyID, now)
	if !ok {
		t.Fatalf("plan %s has no quota", planID)
	}
	return q
}

// TestGetUsage: GetUsage(plan, dates) = one [used, remaining] pair per day per key; a day
// without a record carries the previous day's remaining in its quota period, the first day
// of a period starts at the limit, and a key with no usage is listed with zero pairs.
func TestGetUsage(t *testing.T) {
	t.Parallel()
	e, counter, _ := usageEnv(t)
	daily := e.createPlan(t, &apigateway.CreateUsagePlanInput{Name: aws.String("daily"), Quota: &types.QuotaSettings{Limit: 10, Period: "DAY"}})
	weekly := e.createPlan(t, &apigateway.CreateUsagePlanInput{Name: aws.String("weekly"), Quota: &types.QuotaSettings{Limit: 100, Period: "WEEK", Offset: 1}})
	unmetered := e.createPlan(t, &apigateway.CreateUsagePlanInput{Name: aws.String("free")})
	e.putAPIKey(t, "key001", "a")
	e.putAPIKey(t, "key002", "b")
	for _, p := range []string{daily, weekly, unmetered} {
		for _, k := range []string{"key001", "key002"} {
			if _, err := e.addKey(p, k, t); err != nil {
				t.Fatal(err)
			}
		}
	}
	counter.request(quotaOf(t, e, daily, "key001", day("2025-05-29")), day("2025-05-29"), 3)
	counter.request(quotaOf(t, e, daily, "key001", day("2025-05-30")), day("2025-05-30"), 2)
	// Weeks start on Monday (offset 1): 2025-05-26 and 2025-06-02.
	counter.request(quotaOf(t, e, weekly, "key001", day("2025-05-27")), day("2025-05-27"), 5)
	counter.request(quotaOf(t, e, weekly, "key001", day("2025-05-29")), day("2025-05-29"), 1)
	counter.request(meter.Quota{Key: meter.QuotaKey(unmetered, "key002")}, day("2025-05-30"), 7)

	tests := []struct {
		name       string
		in         apigateway.GetUsageInput
		want       map[string][][]int64
		wantPosKey string
	}{
		{"daily", apigateway.GetUsageInput{UsagePlanId: &daily, StartDate: aws.String("2025-05-28"), EndDate: aws.String("2025-05-30")},
			map[string][][]int64{"key001": {{0, 10}, {3, 7}, {2, 8}}, "key002": {{0, 10}, {0, 10}, {0, 10}}}, ""},
		{"weekly carries into the range and restarts on Monday", apigateway.GetUsageInput{UsagePlanId: &weekly, StartDate: aws.String("2025-05-28"), EndDate: aws.String("2025-06-02"), KeyId: aws.String("key001")},
			map[string][][]int64{"key001": {{0, 95}, {1, 94}, {0, 94}, {0, 94}, {0, 94}, {0, 100}}}, ""},
		{"no quota: remaining 0", apigateway.GetUsageInput{UsagePlanId: &unmetered, StartDate: aws.String("2025-05-30"), EndDate: aws.String("2025-05-30")},
			map[string][][]int64{"key001": {{0, 0}}, "key002": {{7, 0}}}, ""},
		{"paged by key", apigateway.GetUsageInput{UsagePlanId: &daily, StartDate: aws.String("2025-05-30"), EndDate: aws.String("2025-05-30"), Limit: aws.Int32(1)},
			map[string][][]int64{"key001": {{2, 8}}}, "key002"},
		{"second page", apigateway.GetUsageInput{UsagePlanId: &daily, StartDate: aws.String("2025-05-30"), EndDate: aws.String("2025-05-30"), Position: aws.String("key002")},
			map[string][][]int64{"key002": {{0, 10}}}, ""},
		{"key not in the plan", apigateway.GetUsageInput{UsagePlanId: &daily, StartDate: aws.String("2025-05-30"), EndDate: aws.String("2025-05-30"), KeyId: aws.String("nokey")},
			map[string][][]int64{}, ""},
	}
	for _, tt := range tests {
		out, err := e.client.GetUsage(ctx(t), &tt.in)
		if err != nil {
			t.Errorf("GetUsage(%s): %v", tt.name, err)
			continue
		}
		if !reflect.DeepEqual(out.Items, tt.want) || aws.ToString(out.Position) != tt.wantPosKey ||
			*out.UsagePlanId != *tt.in.UsagePlanId || *out.StartDate != *tt.in.StartDate || *out.EndDate != *tt.in.EndDate {
			t.Errorf("GetUsage(%s) = %v (position %q); want %v (position %q)", tt.name, out.Items, aws.ToString(out.Position), tt.want, tt.wantPosKey)
		}
	}
	// values is {} on the wire when no key is listed.
	if _, raw := e.rawGet(t, "/usageplans/"+daily+"/usage?startDate=2025-05-30&endDate=2025-05-30&keyId=nokey"); !reflect.DeepEqual(raw["values"], map[string]any{}) {
		t.Errorf("values = %v; want {}", raw["values"])
	}

	refusals := []struct {
		name, plan, from, to, code, msg string
	}{
		{"bad start", daily, "2025-5-1", "2025-05-30", "BadRequestException", "Invalid startDate specified: '2025-5-1'. Must be a date of the form yyyy-MM-dd"},
		{"both bad", daily, "x", "y", "BadRequestException", "Invalid startDate specified: 'x'. Must be a date of the form yyyy-MM-dd Invalid endDate specified: 'y'. Must be a date of the form yyyy-MM-dd"},
		{"end before start", daily, "2025-05-30", "2025-05-29", "BadRequestException", "The endDate 2025-05-29 must not be before the startDate 2025-05-30"},
		{"too long", daily, "2025-01-01", "2025-04-01", "BadRequestException", "The usage date range must be at most 90 days; 2025-01-01 to 2025-04-01 is 91"},
		{"unknown plan", "noplan", "2025-05-30", "2025-05-30", "NotFoundException", "Invalid Usage Plan ID specified"},
	}
	for _, tt := range refusals {
		_, err := e.client.GetUsage(ctx(t), &apigateway.GetUsageInput{UsagePlanId: aws.String(tt.plan), StartDate: aws.String(tt.from), EndDate: aws.String(tt.to)})
		wantAPIError(t, "GetUsage "+tt.name, err, tt.code, tt.msg)
	}
	if _, err := e.client.GetUsage(ctx(t), &apigateway.GetUsageInput{UsagePlanId: &daily, StartDate: aws.String("2025-01-01"), EndDate: aws.String("2025-03-31")}); err != nil {
		t.Errorf("GetUsage over 90 days: %v", err)
	}
}

// TestUpdateUsage: replace /remaining N sets what the key has left in the current period
// and answers today's usage; bad operations and plans without a quota are refused.
func TestUpdateUsage(t *testing.T) {
	t.Parallel()
	e, counter, now := usageEnv(t)
	plan := e.createPlan(t, &apigateway.CreateUsagePlanInput{Name: aws.String("daily"), Quota: &types.QuotaSettings{Limit: 10, Period: "DAY"}})
	free := e.createPlan(t, &apigateway.CreateUsagePlanInput{Name: aws.String("free")})
	e.putAPIKey(t, "key001", "a")
	e.putAPIKey(t, "key002", "b")
	for _, p := range []string{plan, free} {
		if _, err := e.addKey(p, "key001", t); err != nil {
			t.Fatal(err)
		}
	}
	q := quotaOf(t, e, plan, "key001", now)
	counter.request(q, now, 2)

	out, err := e.client.UpdateUsage(ctx(t), &apigateway.UpdateUsageInput{UsagePlanId: &plan, KeyId: aws.String("key001"),
		PatchOperations: []types.PatchOperation{op(types.OpReplace, "/remaining", "25")}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out.Items, map[string][][]int64{"key001": {{2, 25}}}) || *out.StartDate != "2025-05-30" || *out.EndDate != "2025-05-30" {
		t.Errorf("UpdateUsage = %+v", out)
	}
	if used, _ := counter.Used(ctx(t), q); used != -15 {
		t.Errorf("period count after granting 25 of 10 = %d; want -15", used)
	}

	tests := []struct {
		name, plan, key string
		ops             []types.PatchOperation
		code, msg       string
	}{
		{"other path", plan, "key001", []types.PatchOperation{op(types.OpReplace, "/used", "1")}, "BadRequestException",
			"Invalid patch path '/used' specified for op 'replace'. Must be one of: [/remaining]"},
		{"other op", plan, "key001", []types.PatchOperation{op(types.OpAdd, "/remaining", "1")}, "BadRequestException", "Invalid patch operation specified. Must be one of: [replace]"},
		{"negative", plan, "key001", []types.PatchOperation{op(types.OpReplace, "/remaining", "-1")}, "BadRequestException", "Invalid remaining value '-1': must be a non-negative integer"},
		{"no operation", plan, "key001", []types.PatchOperation{}, "BadRequestException", "Usage can only be updated with replace /remaining"},
		{"no quota", free, "key001", []types.PatchOperation{op(types.OpReplace, "/remaining", "1")}, "BadRequestException", "Usage Plan " + free + " has no quota: its usage cannot be updated"},
		{"key not in the plan", plan, "key002", []types.PatchOperation{op(types.OpReplace, "/remaining", "1")}, "NotFoundException", "Invalid API Key identifier specified"},
		{"unknown plan", "noplan", "key001", []types.PatchOperation{op(types.OpReplace, "/remaining", "1")}, "NotFoundException", "Invalid Usage Plan ID specified"},
	}
	for _, tt := range tests {
		_, err := e.client.UpdateUsage(ctx(t), &apigateway.UpdateUsageInput{UsagePlanId: aws.String(tt.plan), KeyId: aws.String(tt.key), PatchOperations: tt.ops})
		wantAPIError(t, "UpdateUsage "+tt.name, err, tt.code, tt.msg)
	}
	if used, _ := counter.Used(ctx(t), q); used != -15 {
		t.Errorf("refused updates changed the count to %d", used)
	}
}

// TestUsageWithoutCounter: a server without a usage counter answers GetUsage and
// UpdateUsage with errUsageUnavailable, after checking the plan.
func TestUsageWithoutCounter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	plan := e.createPlan(t, &apigateway.CreateUsagePlanInput{Name: aws.String("daily"), Quota: &types.QuotaSettings{Limit: 10, Period: "DAY"}})
	e.putAPIKey(t, "key001", "a")
	if _, err := e.addKey(plan, "key001", t); err != nil {
		t.Fatal(err)
	}
	_, err := e.client.GetUsage(ctx(t), &apigateway.GetUsageInput{UsagePlanId: &plan, StartDate: aws.String("2025-05-30"), EndDate: aws.String("2025-05-30")})
	wantAPIError(t, "GetUsage", err, "BadRequestException", errUsageUnavailable.Message)
	_, err = e.client.UpdateUsage(ctx(t), &apigateway.UpdateUsageInput{UsagePlanId: &plan, KeyId: aws.String("key001"),
		PatchOperations: []types.PatchOperation{op(types.OpReplace, "/remaining", "1")}})
	wantAPIError(t, "UpdateUsage", err, "BadRequestException", errUsageUnavailable.Message)
	_, err = e.client.GetUsage(ctx(t), &apigateway.GetUsageInput{UsagePlanId: aws.String("noplan"), StartDate: aws.String("2025-05-30"), EndDate: aws.String("2025-05-30")})
	wantAPIError(t, "GetUsage unknown plan", err, "NotFoundException", "Invalid Usage Plan ID specified")
}

// TestAccountThrottleFromConfig: GetAccount and UpdateAccount report Config.AccountThrottle.
func TestAccountThrottleFromConfig(t *testing.T) {
	t.Parallel()
	e := newConfigEnv(t, func(c *Config) { c.AccountThrottle = model.ThrottleSettings{BurstLimit: 20, RateLimit: 12.5} })
	got, err := e.client.GetAccount(ctx(t), &apigateway.GetAccountInput{})
	if err != nil || got.ThrottleSettings.BurstLimit != 20 || got.ThrottleSettings.RateLimit != 12.5 {
		t.Errorf("GetAccount = %+v, %v", got.ThrottleSettings, err)
	}
	up, err := e.client.UpdateAccount(ctx(t), &apigateway.UpdateAccountInput{PatchOperations: []types.PatchOperation{op(types.OpAdd, "/features", "UsagePlans")}})
	if err != nil || up.ThrottleSettings.BurstLimit != 20 || up.ThrottleSettings.RateLimit != 12.5 {
		t.Errorf("UpdateAccount = %+v, %v", up.ThrottleSettings, err)
	}
}
