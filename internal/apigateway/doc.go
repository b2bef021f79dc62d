// Package apigateway holds the API Gateway v1 (REST API) model: the resources AWS's
// apigateway service manages, with AWS's JSON wire names. These types are at once the
// management API's wire format, the stored form and the configuration format. The package
// does no I/O.
package apigateway
