package mgmt

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/mgmt/awsjson"
	"github.com/gatehouse/gatehouse/internal/store"
)

// ImportApiKeys' CSV file (AWS's "API Gateway API key file format",
// https://docs.aws.amazon.com/apigateway/latest/developerguide/api-key-file-format.html):
// a header row naming at least the Name and Key columns, in any order, case-insensitive;
// optional Description, Enabled and UsagePlanIds; other columns are ignored. Key is 20 to 128
// characters, Name at most 1024. Missing values are "" and Enabled defaults to true.
// UsagePlanIds holds several ids separated by commas, quoted with " (CSV quoting) or '.

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
		case apiKeyValueProblem(k.Value) != nil:
			warnings = append(warnings, fmt.Sprintf("Line %d: Key contains invalid characters", line))
		case len(k.Name) > maxImportNameLen:
			warnings = append(warnings, fmt.Sprintf("Line %d: Name must be at most %d characters", line, maxImportNameLen))
		default:
			keys = append(keys, k)
		}
	}
	return keys, warnings, nil
}

// maxImportedKeys bounds one import's keys: AWS's quota of API keys per account and Region
// ([A] limits.md), so that one call's work stays bounded.
const maxImportedKeys = 10000

// importAPIKeysOutput is the service model's ApiKeyIds.
type importAPIKeysOutput struct {
	IDs      []string `json:"ids"`
	Warnings []string `json:"warnings"`
}

// ImportAPIKeys is POST /apikeys?mode=import&format=csv[&failonwarnings=true]: the body is
// an API key file (parseAPIKeyCSV); 201 with the ids of the keys written, in file order,
// and the warnings. A row with a problem (a Key of the wrong length or with characters
// outside printable ASCII, a Name too long) is a warning and is skipped; failonwarnings=true
// makes any warning a 400 that writes nothing. The import is all or nothing: an error (a
// file without a Name or Key column, an unknown usage plan, a key that would be in more than
// 10 plans or in two plans for one API stage) writes nothing.
//
// As AWS documents, a key is identified by its value: a row whose Key is already a key's
// value overwrites that key's name, description and enabled flag and keeps its id (and a
// value twice in one file is one key, the later row winning); UsagePlanIds adds the key to
// those plans, and a plan it is in already is not an error. New keys are written as
// CreateApiKey writes them, memberships as CreateUsagePlanKey does (one store transaction
// for the whole file).
func (s *Server) ImportAPIKeys(ctx context.Context, c *call) error {
	q := c.r.URL.Query()
	if q.Get("format") == "" {
		return awsjson.Validation([]string{"Value null at 'format' failed to satisfy constraint: Member must not be null"})
	}
	rows, warnings, err := parseAPIKeyCSV(c.body)
	if err != nil {
		return awsjson.BadRequest("%s", err)
	}
	if javaBool(q.Get("failonwarnings")) && len(warnings) > 0 {
		// The wording is gatehouse's (not verified).
		return awsjson.BadRequest("API key file has warnings and failonwarnings is true: %s", strings.Join(warnings, "; "))
	}
	rows = mergeImportedKeys(rows)
	if len(rows) > maxImportedKeys {
		return awsjson.LimitExceeded("API key file has %d keys; at most %d can be imported at once", len(rows), maxImportedKeys)
	}
	now := s.now()
	var ids []string
	err = store.Retry(ctx, "import api keys", func() error {
		ids = make([]string, 0, len(rows))
		j := s.newPlanJoin()
		var keyOps []store.Op
		for _, row := range rows {
			key, rev, err := s.importedKeyDoc(ctx, row, now)
			if err != nil {
				return err
			}
			for _, plan := range row.UsagePlanIDs {
				if slices.Contains(key.UsagePlanIDs, plan) {
					continue
				}
				if err := j.join(ctx, key, plan); err != nil {
					return err
				}
			}
			if rev == store.Absent {
				ops, err := s.newAPIKeyOps(key)
				if err != nil {
					return err
				}
				keyOps = append(keyOps, ops...)
			} else {
				op, err := store.PutJSON(s.scope.APIKeyKey(key.ID), key, rev)
				if err != nil {
					return err
				}
				keyOps = append(keyOps, op)
			}
			ids = append(ids, key.ID)
		}
		_, err := s.store.Txn(ctx, append(j.ops(), keyOps...)...)
		return err
	})
	if err != nil {
		return err
	}
	if warnings == nil {
		warnings = []string{}
	}
	awsjson.WriteJSON(c.w, http.StatusCreated, importAPIKeysOutput{IDs: ids, Warnings: warnings})
	return nil
}

// importedKeyDoc returns the key row k is: the key that has k's value already, overwritten
// with k's name, description and enabled flag, and its revision; or a new key with a new id,
// and store.Absent.
func (s *Server) importedKeyDoc(ctx context.Context, k importedKey, now apigateway.Timestamp) (*apigateway.APIKeyDocument, int64, error) {
	kv, err := s.store.Get(ctx, s.scope.APIKeyValueKey(k.Value))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &apigateway.APIKeyDocument{APIKey: apigateway.APIKey{
			ID: newID(10), Value: k.Value, Name: k.Name, Description: k.Description, Enabled: k.Enabled,
			CreatedDate: now, LastUpdatedDate: now, StageKeys: []string{},
		}}, store.Absent, nil
	case err != nil:
		return nil, 0, err
	}
	key, rev, err := s.loadAPIKey(ctx, string(kv.Value))
	if errors.Is(err, errAPIKeyNotFound) {
		// A reservation whose key is gone (being deleted now): retry and read both again.
		return nil, 0, fmt.Errorf("import api key: value reserved by missing key %s: %w", kv.Value, store.ErrConflict)
	}
	if err != nil {
		return nil, 0, err
	}
	key.Name, key.Description, key.Enabled, key.LastUpdatedDate = k.Name, k.Description, k.Enabled, now
	return key, rev, nil
}

// mergeImportedKeys makes rows that share a value one key, at the first row's place: the
// later row's name, description and enabled flag win and the usage plans of all add up.
func mergeImportedKeys(rows []importedKey) []importedKey {
	at := make(map[string]int, len(rows))
	out := rows[:0:0]
	for _, r := range rows {
		i, seen := at[r.Value]
		if !seen {
			at[r.Value] = len(out)
			out = append(out, r)
			continue
		}
		plans := slices.Concat(out[i].UsagePlanIDs, r.UsagePlanIDs)
		out[i] = r
		out[i].UsagePlanIDs = plans
	}
	return out
}
