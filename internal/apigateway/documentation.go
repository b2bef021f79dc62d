package apigateway

// Documentation types of REST APIs: documentation parts describe the API's entities, and a
// documentation version is a named snapshot of the parts a stage can be associated with.

// DocumentationPartLocation is where a documentation part applies (AWS's
// DocumentationPartLocation). Which of path, method, statusCode and name a type takes is
// the management plane's rule (mgmt's documentation location table); a stored location has
// the defaults filled in: path "/", method and statusCode "*".
type DocumentationPartLocation struct {
	Type       string `json:"type"`
	Path       string `json:"path,omitempty"`
	Method     string `json:"method,omitempty"`
	StatusCode string `json:"statusCode,omitempty"`
	Name       string `json:"name,omitempty"`
}

// DocumentationPart is one documentation part (AWS's DocumentationPart). Properties is a
// JSON object, kept as the string the caller sent.
type DocumentationPart struct {
	ID         string                    `json:"id"`
	Location   DocumentationPartLocation `json:"location"`
	Properties string                    `json:"properties"`
}

// DocumentationVersion is AWS's DocumentationVersion.
type DocumentationVersion struct {
	Version     string    `json:"version"`
	CreatedDate Timestamp `json:"createdDate"`
	Description string    `json:"description,omitempty"`
}

// DocumentationVersionDocument is one documentation version as stored: the version and the
// API's documentation parts as they were when it was created.
type DocumentationVersionDocument struct {
	DocumentationVersion
	RestAPIID string               `json:"restApiId"`
	Parts     []*DocumentationPart `json:"parts"`
}

// DocumentationVersionPrefix is the prefix of the API's DocumentationVersionDocuments.
func (s Scope) DocumentationVersionPrefix(apiID string) string {
	return s.prefix() + "documentationversions/" + apiID + "/"
}

// DocumentationVersionKey is the key of one DocumentationVersionDocument.
func (s Scope) DocumentationVersionKey(apiID, version string) string {
	return s.DocumentationVersionPrefix(apiID) + version
}
