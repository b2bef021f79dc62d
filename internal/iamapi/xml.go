package iamapi

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"strconv"
)

// The query protocol's XML namespaces (botocore's metadata.xmlNamespace).
const (
	nsIAM = "https://iam.amazonaws.com/doc/2010-05-08/"
	nsSTS = "https://sts.amazonaws.com/doc/2011-06-15/"
)

// writeResult writes a successful call's answer as the query protocol shapes it:
// <{Action}Response xmlns=ns><{Action}Result>result</...><ResponseMetadata><RequestId>.
// A nil result (DeleteUser, PutUserPolicy, ...) has no Result element.
func writeResult(w http.ResponseWriter, ns, action, requestID string, result any) error {
	var b bytes.Buffer
	enc := xml.NewEncoder(&b)
	start := xml.StartElement{Name: xml.Name{Local: action + "Response"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: ns}}}
	if err := enc.EncodeToken(start); err != nil {
		return err
	}
	if result != nil {
		if err := enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}}); err != nil {
			return err
		}
	}
	if err := enc.EncodeElement(responseMetadata{RequestID: requestID}, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}}); err != nil {
		return err
	}
	if err := enc.EncodeToken(start.End()); err != nil {
		return err
	}
	if err := enc.Flush(); err != nil {
		return err
	}
	writeXML(w, http.StatusOK, b.Bytes())
	return nil
}

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

// errorResponse is the query protocol's error document.
type errorResponse struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	NS      string   `xml:"xmlns,attr"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

// writeError writes e as IAM and STS write their errors.
func writeError(w http.ResponseWriter, ns, requestID string, e *Error) {
	var doc errorResponse
	doc.NS = ns
	doc.Error.Type, doc.Error.Code, doc.Error.Message = e.errorType(), e.Code, e.Message
	doc.RequestID = requestID
	b, err := xml.Marshal(doc)
	if err != nil { // strings only: cannot happen
		b = []byte("<ErrorResponse/>")
	}
	writeXML(w, e.Status, b)
}

func writeXML(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}
