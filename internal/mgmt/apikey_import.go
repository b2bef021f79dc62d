package mgmt

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ImportApiKeys' CSV file (AWS's "API Gateway API key file format",
// https://docs.aws.amazon.com/apigateway/latest/developerguide/api-key-file-format.html):
// a header row naming at least the Name and Key columns, in any order, case-insensitive;
// optional Description, Enabled and UsagePlanIds; other columns are ignored. Key is 20 to 128
// characters, Name at most 1024. Missing values are "" and Enabled defaults to true.
// UsagePlanIds holds several ids separated by commas, quoted with " (CSV quoting) or '.
//
// NOT WIRED YET: POST /apikeys?mode=import shares its mux pattern with CreateApiKey and
// Server.handle answers the query variant as unsupported; serving it needs server.go to
// dispatch by variant (see /work/notes/mgmt-keys.md).

// importedKey is one row of an API key file.
type importedKey struct {
	Name, Value, Description string
	Enabled                  bool
	UsagePlanIDs             []string
}

// maxImportNameLen is AWS's documented limit on a Name value.
const maxImportNameLen = 1024

// parseAPIKeyCSV parses an API key file. Rows with a problem are not returned; each problem
// is a warning naming its 1-based line (the header is line 1). A file without a header,
// or whose header lacks Name or Key, is an error. Wordings are gatehouse's (not verified).
func parseAPIKeyCSV(body []byte) (keys []importedKey, warnings []string, err error) {
	r := csv.NewReader(bytes.NewReader(body))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	header, err := r.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("Invalid API key file: missing header row")
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if _, seen := col[h]; !seen {
			col[h] = i
		}
	}
	_, okName := col["name"]
	_, okKey := col["key"]
	if !okName || !okKey {
		return nil, nil, fmt.Errorf("Invalid API key file: the header must name the Name and Key columns")
	}
	field := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	for line := 2; ; line++ {
		rec, rerr := r.Read()
		if rerr != nil {
			if errors.Is(rerr, io.EOF) {
				break
			}
			warnings = append(warnings, fmt.Sprintf("Line %d: %v", line, rerr))
			break
		}
		k := importedKey{Name: field(rec, "name"), Value: field(rec, "key"), Description: field(rec, "description"), Enabled: true}
		if e := field(rec, "enabled"); e != "" {
			k.Enabled = strings.EqualFold(e, "true")
		}
		if ids := strings.Trim(field(rec, "usageplanids"), "'\""); ids != "" {
			for _, id := range strings.Split(ids, ",") {
				if id = strings.TrimSpace(id); id != "" {
					k.UsagePlanIDs = append(k.UsagePlanIDs, id)
				}
			}
		}
		switch {
		case len(k.Value) < minAPIKeyValueLen || len(k.Value) > maxAPIKeyValueLen:
			warnings = append(warnings, fmt.Sprintf("Line %d: Key must be between %d and %d characters", line, minAPIKeyValueLen, maxAPIKeyValueLen))
		case len(k.Name) > maxImportNameLen:
			warnings = append(warnings, fmt.Sprintf("Line %d: Name must be at most %d characters", line, maxImportNameLen))
		default:
			keys = append(keys, k)
		}
	}
	return keys, warnings, nil
}
