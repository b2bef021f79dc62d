package mgmt

import (
	"slices"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
)

// The rules of CreateRestApi and UpdateRestApi that AWS checks after the service model's
// (the model's enums are awsjson.CheckInput's), with AWS's messages, in the order AWS
// reports them. Recorded: localstack's AWS-validated test_apigateway_api.snapshot.json
// (test_create_rest_api_with_optional_params, test_create_rest_api_with_endpoint_configuration,
// test_create_rest_api_private_type, test_create_rest_api_verify_defaults,
// test_update_rest_api_operation_add_remove, test_update_rest_api_compression,
// test_update_rest_api_behaviour, test_update_rest_api_ip_address_type).
const (
	msgRestAPIName         = "Invalid REST API name specified"
	msgEmptyDescription    = "Description cannot be an empty string"
	msgNoEndpointType      = "REGIONAL Configuration and EDGE Configuration cannot be both DISABLED."
	msgManyEndpointTypes   = "Cannot create an api with multiple Endpoint Types."
	msgPrivateDualstack    = "Only dualstack ipAddressType is supported for Private APIs."
	msgIPAddressType       = "ipAddressType must be either ipv4 or dualstack."
	msgEndpointTypes       = "Invalid EndpointTypes specified. Valid options are REGIONAL,EDGE,PRIVATE"
	msgAddRemoveReplace    = "Invalid patch operation specified. Must be 'add'|'remove'|'replace'"
	msgCompressionSize     = "Invalid minimum compression size, must be between 0 and 10485760"
	maxCompressionSize     = 10485760
	endpointPrivate        = "PRIVATE"
	ipv4, dualstack        = "ipv4", "dualstack"
	restAPIBinaryTypesPath = "/binaryMediaTypes"
)

// createRestAPIRules checks CreateRestApi's input in AWS's order (a first failing rule is
// the answer: empty description, then the endpoint types, then PRIVATE's IP address type)
// and returns the endpoint configuration with AWS's defaults: EDGE, and ipv4 (dualstack
// for PRIVATE) when no IP address type is given.
func createRestAPIRules(in *createRestAPIInput) (*apigateway.EndpointConfiguration, error) {
	if in.Name == "" {
		return nil, awsjson.BadRequest(msgRestAPIName)
	}
	if in.Description != nil && *in.Description == "" {
		return nil, awsjson.BadRequest(msgEmptyDescription)
	}
	ec := in.EndpointConfiguration
	if ec == nil {
		ec = &apigateway.EndpointConfiguration{}
	}
	switch {
	case ec.Types == nil:
		ec.Types = []string{"EDGE"}
	case len(ec.Types) == 0:
		return nil, awsjson.BadRequest(msgNoEndpointType)
	case len(ec.Types) > 1:
		return nil, awsjson.BadRequest(msgManyEndpointTypes)
	}
	private := ec.Types[0] == endpointPrivate
	switch {
	case ec.IPAddressType == "" && private:
		ec.IPAddressType = dualstack
	case ec.IPAddressType == "":
		ec.IPAddressType = ipv4
	case private && ec.IPAddressType != dualstack:
		return nil, awsjson.BadRequest(msgPrivateDualstack)
	}
	if in.APIKeySource == "" {
		in.APIKeySource = "HEADER"
	}
	var problems []string
	if in.MinimumCompressionSize != nil && !validCompressionSize(*in.MinimumCompressionSize) {
		problems = append(problems, msgCompressionSize)
	}
	if p := binaryMediaTypesProblem(in.BinaryMediaTypes); p != "" {
		problems = append(problems, p)
	}
	return ec, badRequestProblems(problems)
}

// validCompressionSize reports whether n is a minimum compression size AWS takes, in bytes.
func validCompressionSize(n int) bool { return n >= 0 && n <= maxCompressionSize }

// patchEndpointConfiguration applies one patch operation on /endpointConfiguration/...:
// /ipAddressType is replace-only; /types/{type} takes add, remove and replace, the path's
// segment naming the type changed ("/endpointConfiguration/types/EDGE", value "PRIVATE"; an
// index such as "0" names the type at that position). It returns the problem, "" for none.
func patchEndpointConfiguration(api *apigateway.RestAPI, op awsjson.PatchOperation, seg []string) string {
	if api.EndpointConfiguration == nil {
		api.EndpointConfiguration = &apigateway.EndpointConfiguration{}
	}
	ec := api.EndpointConfiguration
	switch {
	case len(seg) == 2 && seg[1] == "ipAddressType":
		if op.Op != awsjson.OpReplace {
			return msgReplaceOnly
		}
		v := op.Val()
		if v != ipv4 && v != dualstack {
			return msgIPAddressType
		}
		ec.IPAddressType = v
		return ""
	case len(seg) == 3 && seg[1] == "types":
		if op.Op != awsjson.OpAdd && op.Op != awsjson.OpRemove && op.Op != awsjson.OpReplace {
			return msgAddRemoveReplace
		}
		old := seg[2]
		if i := indexOfType(ec.Types, old); i >= 0 {
			old = ec.Types[i]
		}
		v := op.Val()
		if op.Op == awsjson.OpAdd {
			v = old
		}
		if op.Op != awsjson.OpRemove && !awsjson.ShapeOf("EndpointType").Allows(v) {
			return msgEndpointTypes
		}
		ec.Types = slices.DeleteFunc(ec.Types, func(t string) bool { return t == old })
		if op.Op != awsjson.OpRemove && !slices.Contains(ec.Types, v) {
			ec.Types = append(ec.Types, v)
		}
		if v == endpointPrivate && op.Op == awsjson.OpReplace {
			// AWS moves an API that becomes PRIVATE to dualstack, the only IP address type
			// a private API has (recorded: test_update_rest_api_ip_address_type
			// "update-rest-api-replace-type").
			ec.IPAddressType = dualstack
		}
		return ""
	}
	return invalidPatch(op)
}

// indexOfType resolves a numeric types segment ("0") to its position, -1 otherwise.
func indexOfType(types []string, seg string) int {
	if len(seg) != 1 || seg[0] < '0' || seg[0] > '9' {
		return -1
	}
	if i := int(seg[0] - '0'); i < len(types) {
		return i
	}
	return -1
}

// endpointConfigurationProblem is the rule checked once every operation is applied: a
// PRIVATE API answers only over dualstack.
func endpointConfigurationProblem(ec *apigateway.EndpointConfiguration) string {
	if ec != nil && slices.Contains(ec.Types, endpointPrivate) && ec.IPAddressType != dualstack {
		return msgPrivateDualstack
	}
	return ""
}
