package mgmt

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/meter"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
	"github.com/gatehouse/gatehouse/internal/store"
)

// GetUsage and UpdateUsage: a usage plan's per-key, per-day quota usage, as the runtime
// state counts it (internal/localstate in process, internal/redisstate in Redis).

// UsageCounter is what the management plane needs of the runtime state's quota counts.
type UsageCounter interface {
	// Days returns one meter.Day per UTC day from..to inclusive (Remaining -1 when the day has no record).
	Days(ctx context.Context, quotaKey string, from, to time.Time) ([]meter.Day, error)
	// Used returns the requests counted in q's period.
	Used(ctx context.Context, q meter.Quota) (int64, error)
	// SetRemaining makes the period's count q.Limit-remaining and records remaining on now's day.
	SetRemaining(ctx context.Context, q meter.Quota, now time.Time, remaining int64) error
}

// maxUsageDays bounds one GetUsage call's date range, in days (both ends included). AWS
// documents no bound; 90 days is gatehouse's, so that a call's work stays small (keys ×
// days pairs). Not verified against AWS.
const maxUsageDays = 90

// errUsageUnavailable answers GetUsage and UpdateUsage on a server configured without a
// usage counter (mgmt.Config.Usage nil). gatehouse's own wording.
var errUsageUnavailable = awsjson.BadRequest("Usage data is not available: this gatehouse serves no usage counter")

// parseUsageDate reads a GetUsage date, "2006-01-02" (AWS: "e.g., 2016-01-01"). The
// message is not verified.
func parseUsageDate(name, v string) (time.Time, *awsjson.Error) {
	t, err := time.Parse(meter.DateLayout, v)
	if err != nil {
		return time.Time{}, awsjson.BadRequest("Invalid %s specified: '%s'. Must be a date of the form yyyy-MM-dd", name, v)
	}
	return t, nil
}

// GetUsage is GET /usageplans/{usageplanId}/usage?startDate&endDate&keyId&position&limit:
// for each key of the plan (or keyId alone), one [used, remaining] pair per UTC day from
// startDate to endDate. A day the state has no record of (no request counted, no
// UpdateUsage) used 0 and carries the remaining of the day before in the same quota period,
// or the full limit on the first day of a period. Keys are paged in id order; a key with no
// usage is listed too, with zero pairs ([A] api-gateway-usage-plans.md shows the console's
// usage of every key of a plan). With no quota, remaining is 0 (AWS's answer is not
// verified).
func (s *Server) GetUsage(ctx context.Context, c *call) error {
	page, err := awsjson.ParsePage(c.r)
	if err != nil {
		return err
	}
	q := c.r.URL.Query()
	var p problemList
	startDate, endDate := q.Get("startDate"), q.Get("endDate")
	from, e1 := parseUsageDate("startDate", startDate)
	to, e2 := parseUsageDate("endDate", endDate)
	if e1 != nil {
		p.add(e1)
	}
	if e2 != nil {
		p.add(e2)
	}
	if e1 == nil && e2 == nil {
		switch days := int(to.Sub(from)/(24*time.Hour)) + 1; {
		case to.Before(from):
			p.addf("The endDate %s must not be before the startDate %s", endDate, startDate) // not verified
		case days > maxUsageDays:
			p.addf("The usage date range must be at most %d days; %s to %s is %d", maxUsageDays, startDate, endDate, days) // not verified
		}
	}
	planID := c.path("usageplanId")
	plan, _, err := s.loadUsagePlan(ctx, planID)
	if err != nil {
		return err
	}
	if err := p.err(); err != nil {
		return err
	}
	if s.usage == nil {
		return errUsageUnavailable
	}
	keyIDs, err := s.planKeyIDs(ctx, planID)
	if err != nil {
		return err
	}
	if keyID := q.Get("keyId"); keyID != "" {
		keyIDs = slices.DeleteFunc(keyIDs, func(id string) bool { return id != keyID })
	}
	pageIDs, next := awsjson.Paginate(keyIDs, func(id string) string { return id }, page)
	// values is always an object, {} when no key is listed.
	out := apigateway.Usage{UsagePlanID: planID, StartDate: startDate, EndDate: endDate, Position: next, Items: map[string][][2]int64{}}
	for _, keyID := range pageIDs {
		pairs, err := s.usagePairs(ctx, &plan.UsagePlan, keyID, from, to)
		if err != nil {
			return err
		}
		out.Items[keyID] = pairs
	}
	awsjson.WriteJSON(c.w, http.StatusOK, out)
	return nil
}

// planKeyIDs returns the ids of the plan's keys, in order.
func (s *Server) planKeyIDs(ctx context.Context, planID string) ([]string, error) {
	members, _, err := s.store.List(ctx, s.scope.UsagePlanKeyPrefix(planID))
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = strings.TrimPrefix(m.Key, s.scope.UsagePlanKeyPrefix(planID))
	}
	return ids, nil
}

// usagePairs returns key keyID's [used, remaining] pairs in plan from..to. The state is read
// from the start of the quota period that holds from, so that remaining carries into from.
func (s *Server) usagePairs(ctx context.Context, plan *apigateway.UsagePlan, keyID string, from, to time.Time) ([][2]int64, error) {
	quota := plan.Quota
	readFrom := from
	if quota != nil {
		if start, _, ok := meter.Window(quota.Period, quota.Offset, from); ok {
			readFrom = start
		} else {
			quota = nil // a stored quota meter.Window does not know: report no remaining
		}
	}
	days, err := s.usage.Days(ctx, meter.QuotaKey(plan.ID, keyID), readFrom, to)
	if err != nil {
		return nil, fmt.Errorf("usage of key %s in plan %s: %w", keyID, plan.ID, err)
	}
	byDate := make(map[string]meter.Day, len(days))
	for _, d := range days {
		byDate[d.Date] = d
	}
	pairs := make([][2]int64, 0, int(to.Sub(from)/(24*time.Hour))+1)
	var remaining int64
	for day := readFrom; !day.After(to); day = day.AddDate(0, 0, 1) {
		d, recorded := byDate[day.Format(meter.DateLayout)]
		if quota != nil {
			if start, _, _ := meter.Window(quota.Period, quota.Offset, day); start.Equal(day) {
				remaining = int64(quota.Limit)
			}
			switch {
			case recorded && d.Remaining >= 0:
				remaining = d.Remaining
			case recorded:
				remaining = max(remaining-d.Used, 0)
			}
		}
		if day.Before(from) {
			continue
		}
		pairs = append(pairs, [2]int64{d.Used, remaining})
	}
	return pairs, nil
}

// usageQuota is the meter.Quota of key keyID in plan for the period that holds now; ok is
// false for a plan without a (valid) quota.
func usageQuota(plan *apigateway.UsagePlan, keyID string, now time.Time) (meter.Quota, bool) {
	if plan.Quota == nil {
		return meter.Quota{}, false
	}
	start, end, ok := meter.Window(plan.Quota.Period, plan.Quota.Offset, now)
	if !ok {
		return meter.Quota{}, false
	}
	return meter.Quota{Key: meter.QuotaKey(plan.ID, keyID), Limit: int64(plan.Quota.Limit), Start: start, End: end}, true
}

// UpdateUsage is PATCH /usageplans/{usageplanId}/keys/{keyId}/usage with replace
// /remaining N: sets what the key has left of the plan's quota in the current period (a
// grant above the limit is allowed: the period's count goes below zero); answers the key's
// Usage for today.
func (s *Server) UpdateUsage(ctx context.Context, c *call) error {
	ops, err := c.decodePatch("updateUsageInput")
	if err != nil {
		return err
	}
	var p problemList
	remaining := int64(-1)
	for _, op := range ops {
		switch {
		case op.Path != "/remaining":
			p.addf("%s Must be one of: [/remaining]", invalidPatch(op)) // not verified
		case op.Op != awsjson.OpReplace:
			p.addf("Invalid patch operation specified. Must be one of: [replace]") // not verified
		default:
			n, err := strconv.ParseInt(op.Val(), 10, 64)
			if err != nil || n < 0 {
				p.addf("Invalid remaining value '%s': must be a non-negative integer", op.Val()) // not verified
				continue
			}
			remaining = n
		}
	}
	planID, keyID := c.path("usageplanId"), c.path("keyId")
	plan, _, err := s.loadUsagePlan(ctx, planID)
	if err != nil {
		return err
	}
	if _, err := s.store.Get(ctx, s.scope.UsagePlanKeyKey(planID, keyID)); errors.Is(err, store.ErrNotFound) {
		return errAPIKeyNotFound
	} else if err != nil {
		return err
	}
	if err := p.err(); err != nil {
		return err
	}
	if remaining < 0 {
		return awsjson.BadRequest("Usage can only be updated with replace /remaining") // not verified
	}
	now := time.Time(s.now()).UTC()
	quota, ok := usageQuota(&plan.UsagePlan, keyID, now)
	if !ok {
		return awsjson.BadRequest("Usage Plan %s has no quota: its usage cannot be updated", planID) // not verified
	}
	if s.usage == nil {
		return errUsageUnavailable
	}
	if err := s.usage.SetRemaining(ctx, quota, now, remaining); err != nil {
		return fmt.Errorf("update usage of key %s in plan %s: %w", keyID, planID, err)
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	pairs, err := s.usagePairs(ctx, &plan.UsagePlan, keyID, today, today)
	if err != nil {
		return err
	}
	date := today.Format(meter.DateLayout)
	awsjson.WriteJSON(c.w, http.StatusOK, apigateway.Usage{UsagePlanID: planID, StartDate: date, EndDate: date, Items: map[string][][2]int64{keyID: pairs}})
	return nil
}
