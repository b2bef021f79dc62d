package apigateway

// RestAPIDocument is one REST API as stored: the API and everything under it that a
// deployment snapshots. It is one store document, replaced whole on every change.
type RestAPIDocument struct {
	RestAPI
	// Resources by resource id; the root resource has path "/".
	Resources map[string]*Resource `json:"resources"`
	// GatewayResponses holds only the customized responses, by type; the rest are AWS's
	// defaults (DefaultGatewayResponse).
	GatewayResponses map[GatewayResponseType]*GatewayResponse `json:"gatewayResponses,omitempty"`
	// Models by name, including the Empty and Error models AWS creates with every API.
	// Documents stored before models existed have none.
	Models map[string]*Model `json:"models,omitempty"`
	// RequestValidators by id.
	RequestValidators map[string]*RequestValidator `json:"requestValidators,omitempty"`
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
}

// Scope is the account and region a gatehouse instance serves; every stored key is under it.
type Scope struct {
	AccountID string
	Region    string
}

// Keys of the store. Each kind of document has its own prefix so that listing one kind never
// reads another.
func (s Scope) prefix() string { return s.AccountID + "/" + s.Region + "/apigateway/" }

// RestAPIPrefix is the prefix of every RestAPIDocument.
func (s Scope) RestAPIPrefix() string { return s.prefix() + "restapis/" }

// RestAPIKey is the key of the RestAPIDocument with the given id.
func (s Scope) RestAPIKey(apiID string) string { return s.RestAPIPrefix() + apiID }

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
