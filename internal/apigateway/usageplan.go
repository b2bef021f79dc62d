package apigateway

// API keys and usage plans: AWS's shapes, the documents they are stored as, and their keys.

// APIKey is AWS's ApiKey shape. Value is sent only when the caller asks for it
// (includeValue, includeValues); the stored APIKeyDocument always holds it.
type APIKey struct {
	ID              string            `json:"id"`
	Value           string            `json:"value,omitempty"`
	Name            string            `json:"name,omitempty"`
	CustomerID      string            `json:"customerId,omitempty"`
	Description     string            `json:"description,omitempty"`
	Enabled         bool              `json:"enabled"`
	CreatedDate     Timestamp         `json:"createdDate"`
	LastUpdatedDate Timestamp         `json:"lastUpdatedDate"`
	StageKeys       []string          `json:"stageKeys"`
	Tags            map[string]string `json:"tags,omitempty"`
}

// APIKeyDocument is one API key as stored at Scope.APIKeyKey: the key, its value, and the
// usage plans it belongs to (UsagePlanIDs, kept in the same transaction as the plan's
// UsagePlanKeyDocument), so that the data plane can resolve a key to its plans from the
// API key documents and the usage plan documents alone.
type APIKeyDocument struct {
	APIKey
	UsagePlanIDs []string `json:"usagePlanIds,omitempty"`
}

// UsagePlan is AWS's UsagePlan shape.
type UsagePlan struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	APIStages   []APIStage        `json:"apiStages"`
	Throttle    *ThrottleSettings `json:"throttle,omitempty"`
	Quota       *QuotaSettings    `json:"quota,omitempty"`
	ProductCode string            `json:"productCode,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
}

// UsagePlanDocument is one usage plan as stored at Scope.UsagePlanKey.
type UsagePlanDocument struct {
	UsagePlan
}

// APIStage is AWS's ApiStage shape: a stage a usage plan covers. Throttle is keyed by
// "/{resource path}/{HTTP method}" ("/pets/GET"; AWS also accepts "/*/*").
type APIStage struct {
	APIID    string                      `json:"apiId"`
	Stage    string                      `json:"stage"`
	Throttle map[string]ThrottleSettings `json:"throttle,omitempty"`
}

// QuotaSettings is AWS's QuotaSettings shape. Period is DAY, WEEK or MONTH; Offset is the
// day the period starts (meter.Window has the rule).
type QuotaSettings struct {
	Limit  int    `json:"limit"`
	Offset int    `json:"offset"`
	Period string `json:"period,omitempty"`
}

// UsagePlanKey is AWS's UsagePlanKey shape: an API key as a member of a usage plan. Type is
// "API_KEY".
type UsagePlanKey struct {
	ID    string `json:"id"`
	Type  string `json:"type"`
	Value string `json:"value,omitempty"`
	Name  string `json:"name,omitempty"`
}

// UsagePlanKeyDocument is one key's membership of one plan, stored at
// Scope.UsagePlanKeyKey; the API key document lists the plan too (APIKeyDocument).
type UsagePlanKeyDocument struct {
	UsagePlanID string `json:"usagePlanId"`
	KeyID       string `json:"keyId"`
}

// Usage is AWS's Usage shape (GetUsage, UpdateUsage): for each key id, a [used, remaining]
// pair per UTC day from StartDate to EndDate ("2026-12-02").
type Usage struct {
	UsagePlanID string                `json:"usagePlanId"`
	StartDate   string                `json:"startDate"`
	EndDate     string                `json:"endDate"`
	Position    string                `json:"position,omitempty"`
	Items       map[string][][2]int64 `json:"values"`
}

// APIKeyPrefix is the prefix of every APIKeyDocument.
func (s Scope) APIKeyPrefix() string { return s.prefix() + "apikeys/" }

// APIKeyKey is the key of one APIKeyDocument.
func (s Scope) APIKeyKey(id string) string { return s.APIKeyPrefix() + id }

// APIKeyValueKey is the key of the index document that reserves an API key's value, so that
// no two keys share one: its value is the key's id.
func (s Scope) APIKeyValueKey(value string) string { return s.prefix() + "apikeyvalues/" + value }

// UsagePlanPrefix is the prefix of every UsagePlanDocument.
func (s Scope) UsagePlanPrefix() string { return s.prefix() + "usageplans/" }

// UsagePlanKey is the key of one UsagePlanDocument.
func (s Scope) UsagePlanKey(id string) string { return s.UsagePlanPrefix() + id }

// UsagePlanKeyPrefix is the prefix of the UsagePlanKeyDocuments of one plan.
func (s Scope) UsagePlanKeyPrefix(planID string) string {
	return s.prefix() + "usageplankeys/" + planID + "/"
}

// UsagePlanKeyKey is the key of one UsagePlanKeyDocument.
func (s Scope) UsagePlanKeyKey(planID, keyID string) string {
	return s.UsagePlanKeyPrefix(planID) + keyID
}

// QuotaCountPrefix is the prefix under which the in-process state keeps quota counts
// (internal/localstate), so that a restart keeps them.
func (s Scope) QuotaCountPrefix() string { return s.prefix() + "quotacounts/" }
