package apigateway

import (
	"encoding/json"
	"maps"
)

// RestAPIDocument is one REST API: the API and everything under it that a deployment
// snapshots (DeploymentDocument.Snapshot holds it whole).
//
// In the store it is split so that a change costs the same whatever the API's size: the
// head document at RestAPIKey holds everything but the resources (Resources nil), and each
// resource, with its methods, is a document of its own at ResourceKey. Every change to an
// API rewrites its head in the same transaction, conditional on the head's revision, so the
// head's revision is the whole API's. A head with Resources set is the layout of gatehouse
// versions before the split (one document per API): it is read as is, and the first change
// writes the split layout.
type RestAPIDocument struct {
	RestAPI
	// Resources by resource id; the root resource has path "/". Nil in a split head.
	Resources map[string]*Resource `json:"resources"`
	// GatewayResponses holds only the customized responses, by type; the rest are AWS's
	// defaults (DefaultGatewayResponse).
	GatewayResponses map[GatewayResponseType]*GatewayResponse `json:"gatewayResponses,omitempty"`
	// Models by name, including the Empty and Error models AWS creates with every API.
	// Documents stored before models existed have none.
	Models map[string]*Model `json:"models,omitempty"`
	// RequestValidators by id.
	RequestValidators map[string]*RequestValidator `json:"requestValidators,omitempty"`
	// Authorizers by id.
	Authorizers map[string]*Authorizer `json:"authorizers,omitempty"`
	// DocumentationParts by id. They belong to the API, not to its deployments: a
	// deployment's snapshot has none (a documentation version snapshots them instead).
	DocumentationParts map[string]*DocumentationPart `json:"documentationParts,omitempty"`

	// shared is the map ShareResources was given: Resources' entries that are still its
	// values are shared with other documents and must not change (MutableResource).
	shared map[string]*Resource
}

// ShareResources makes d.Resources a new map of shared's resources without copying them:
// they stay shared, read-only, until MutableResource gives d a private copy of one. shared
// itself is never changed.
func (d *RestAPIDocument) ShareResources(shared map[string]*Resource) {
	d.Resources = maps.Clone(shared)
	if d.Resources == nil {
		d.Resources = map[string]*Resource{}
	}
	d.shared = shared
}

// MutableResource returns the resource with the given id for changing, or nil: in a
// document made by ShareResources, the first call for an id replaces the shared resource
// with a private deep copy (a JSON round trip, the form it is stored in).
func (d *RestAPIDocument) MutableResource(id string) (*Resource, error) {
	r := d.Resources[id]
	if r == nil || d.shared == nil || d.shared[id] != r {
		return r, nil
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	c := new(Resource)
	if err := json.Unmarshal(b, c); err != nil {
		return nil, err
	}
	d.Resources[id] = c
	return c, nil
}

// DeploymentDocument is one deployment as stored: the Deployment and an immutable copy of
// the API it deployed.
type DeploymentDocument struct {
	Deployment
	RestAPIID string           `json:"restApiId"`
	Snapshot  *RestAPIDocument `json:"snapshot"`
}

// StageDocument is one stage as stored.
type StageDocument struct {
	Stage
	RestAPIID string `json:"restApiId"`
	// CacheDataKey is the stage's key for its methods' cacheDataEncrypted entries:
	// CacheDataKeySize random bytes (AES-256), made by the management plane when the stage's cache is
	// enabled. Not part of AWS's Stage shape: stored, never returned.
	CacheDataKey []byte `json:"gatehouseCacheDataKey,omitempty"`
}

// Scope is the account and region a gatehouse instance serves; every stored key is under it.
type Scope struct {
	AccountID string
	Region    string
}

// Keys of the store. Each kind of document has its own prefix so that listing one kind never
// reads another.
func (s Scope) prefix() string { return s.AccountID + "/" + s.Region + "/apigateway/" }

// RestAPIPrefix is the prefix of every RestAPIDocument's head (its resources are under
// ResourcePrefix), so listing it reads no resource.
func (s Scope) RestAPIPrefix() string { return s.prefix() + "restapis/" }

// RestAPIKey is the key of the head of the RestAPIDocument with the given id (see
// RestAPIDocument).
func (s Scope) RestAPIKey(apiID string) string { return s.RestAPIPrefix() + apiID }

// ResourcePrefix is the prefix of the resource documents of the API's split layout (see
// RestAPIDocument).
func (s Scope) ResourcePrefix(apiID string) string { return s.prefix() + "resources/" + apiID + "/" }

// ResourceKey is the key of one resource document (a Resource with its methods).
func (s Scope) ResourceKey(apiID, resourceID string) string {
	return s.ResourcePrefix(apiID) + resourceID
}

// DeploymentPrefix is the prefix of the API's DeploymentDocuments; with apiID "" it covers
// every API's.
func (s Scope) DeploymentPrefix(apiID string) string {
	if apiID == "" {
		return s.prefix() + "deployments/"
	}
	return s.prefix() + "deployments/" + apiID + "/"
}

// DeploymentKey is the key of one DeploymentDocument.
func (s Scope) DeploymentKey(apiID, deploymentID string) string {
	return s.DeploymentPrefix(apiID) + deploymentID
}

// StagePrefix is the prefix of the API's StageDocuments; with apiID "" it covers every API's.
func (s Scope) StagePrefix(apiID string) string {
	if apiID == "" {
		return s.prefix() + "stages/"
	}
	return s.prefix() + "stages/" + apiID + "/"
}

// StageKey is the key of one StageDocument.
func (s Scope) StageKey(apiID, stageName string) string { return s.StagePrefix(apiID) + stageName }

// AccountKey is the key of the Account document.
func (s Scope) AccountKey() string { return s.prefix() + "account" }

// CacheDataKeySize is the length in bytes of a stage's CacheDataKey (an AES-256 key): the
// management plane makes keys of it, the data plane's cache opens them.
const CacheDataKeySize = 32
