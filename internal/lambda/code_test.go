package lambda

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// zipEntry is one entry of a test zip.
type zipEntry struct {
	name, body string
	mode       fs.FileMode
}

func makeZip(t testing.TB, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if e.mode != 0 {
			h.SetMode(e.mode)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(e.body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCodeStorePut(t *testing.T) {
	t.Parallel()
	cs, err := NewCodeStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	z := makeZip(t,
		zipEntry{name: "bootstrap", body: "#!/bin/sh\n"}, // no Unix mode: made executable
		zipEntry{name: "lib/", mode: fs.ModeDir | 0o755},
		zipEntry{name: "lib/data.txt", body: "data", mode: 0o600},
		zipEntry{name: "bin/tool", body: "x", mode: 0o755},
		zipEntry{name: "current", body: "lib", mode: fs.ModeSymlink | 0o777},
	)
	code, _, err := cs.Put(z)
	if err != nil {
		t.Fatalf("Put = %v", err)
	}
	sum := sha256.Sum256(z)
	if code.Sha256 != base64.StdEncoding.EncodeToString(sum[:]) || code.Size != int64(len(z)) {
		t.Errorf("Put() = %+v; want base64 sha256 %s and size %d", code, base64.StdEncoding.EncodeToString(sum[:]), len(z))
	}
	if b, err := os.ReadFile(cs.ZipPath(code.Hex)); err != nil || !bytes.Equal(b, z) {
		t.Errorf("ReadFile(ZipPath) = %d bytes, %v; want the zip", len(b), err)
	}
	dir, err := cs.Dir(code.Hex)
	if err != nil {
		t.Fatal(err)
	}
	modes := []struct {
		name string
		want fs.FileMode
	}{{"bootstrap", 0o755}, {"lib/data.txt", 0o644}, {"bin/tool", 0o755}}
	for _, m := range modes {
		fi, err := os.Stat(filepath.Join(dir, m.name))
		if err != nil || fi.Mode().Perm() != m.want {
			t.Errorf("Stat(%s) = %v, %v; want mode %v", m.name, fi, err, m.want)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "current", "data.txt")); err != nil || string(b) != "data" {
		t.Errorf("ReadFile(current/data.txt through the symlink) = %q, %v; want data", b, err)
	}

	// The unzipped copy is rebuilt from the zip when missing (a crash between the two).
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if dir2, err := cs.Dir(code.Hex); err != nil || dir2 != dir {
		t.Fatalf("Dir(after removal) = %q, %v; want %q", dir2, err, dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "bootstrap")); err != nil {
		t.Errorf("Stat(bootstrap) after re-extraction = %v", err)
	}
	// Same content, same place: a second Put is idempotent.
	if again, _, err := cs.Put(z); err != nil || again != code {
		t.Errorf("Put(same zip) = %+v, %v; want %+v", again, err, code)
	}
}

// testMaxUnzipped is the unzipped size quota of TestCodeStoreRejects's store.
const testMaxUnzipped = 4096

func TestCodeStoreRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		zip     func(t *testing.T) []byte
		wantMsg string
	}{
		{"not a zip", func(*testing.T) []byte { return []byte("hello") }, "Could not unzip uploaded file"},
		{"dot dot", func(t *testing.T) []byte { return makeZip(t, zipEntry{name: "../evil", body: "x"}) }, "points outside the package"},
		{"nested dot dot", func(t *testing.T) []byte { return makeZip(t, zipEntry{name: "a/../../evil", body: "x"}) }, "points outside the package"},
		{"absolute", func(t *testing.T) []byte { return makeZip(t, zipEntry{name: "/etc/evil", body: "x"}) }, "not a relative path"},
		{"backslash", func(t *testing.T) []byte { return makeZip(t, zipEntry{name: "..\\evil", body: "x"}) }, "not a relative path"},
		{"absolute symlink", func(t *testing.T) []byte {
			return makeZip(t, zipEntry{name: "link", body: "/etc/passwd", mode: fs.ModeSymlink | 0o777})
		}, "points outside the package"},
		{"escaping symlink", func(t *testing.T) []byte {
			return makeZip(t, zipEntry{name: "a/link", body: "../../x", mode: fs.ModeSymlink | 0o777})
		}, "points outside the package"},
		{"symlink below a symlink", func(t *testing.T) []byte {
			return makeZip(t,
				zipEntry{name: "d/", mode: fs.ModeDir | 0o755},
				zipEntry{name: "s", body: "d", mode: fs.ModeSymlink | 0o777},
				zipEntry{name: "s/t", body: "..", mode: fs.ModeSymlink | 0o777})
		}, "below another symlink"},
		{"symlink escaping through another symlink", func(t *testing.T) []byte {
			// x/y/z is the package root; b is x/y/z/../.., two levels above it, though
			// lexically it is x.
			return makeZip(t,
				zipEntry{name: "x/y/", mode: fs.ModeDir | 0o755},
				zipEntry{name: "x/y/z", body: "../..", mode: fs.ModeSymlink | 0o777},
				zipEntry{name: "b", body: "x/y/z/../..", mode: fs.ModeSymlink | 0o777})
		}, "points outside the package"},
		{"duplicate entry", func(t *testing.T) []byte {
			return makeZip(t, zipEntry{name: "a", body: "1"}, zipEntry{name: "a", body: "2"})
		}, "file exists"},
		{"too large unzipped", func(t *testing.T) []byte {
			return makeZip(t, zipEntry{name: "big", body: strings.Repeat("0", testMaxUnzipped+1)})
		}, "Unzipped size must be smaller than 4096 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			cs, err := NewCodeStore(dir)
			if err != nil {
				t.Fatal(err)
			}
			cs.maxUnzipped = testMaxUnzipped
			_, _, err = cs.Put(tt.zip(t))
			var iz *ErrInvalidZip
			if !errors.As(err, &iz) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("Put(%s) = %v; want *ErrInvalidZip containing %q", tt.name, err, tt.wantMsg)
			}
			// Nothing outside the store, and no half-extracted package left behind as ready.
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if e.IsDir() && !strings.Contains(e.Name(), ".tmp-") {
					t.Errorf("after a rejected Put the store holds %s; want no extracted package", e.Name())
				}
			}
		})
	}
}

func TestCodeStorePutDir(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "bootstrap"), []byte("#!/bin/sh\n"), 0o755)
	os.MkdirAll(filepath.Join(src, "conf"), 0o755)
	os.WriteFile(filepath.Join(src, "conf", "a.json"), []byte("{}"), 0o644)
	cs, err := NewCodeStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	code, _, err := cs.PutDir(src)
	if err != nil {
		t.Fatalf("PutDir = %v", err)
	}
	dir, _ := cs.Dir(code.Hex)
	if fi, err := os.Stat(filepath.Join(dir, "bootstrap")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("Stat(bootstrap) = %v, %v; want 0755", fi, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "conf", "a.json")); err != nil || string(b) != "{}" {
		t.Errorf("ReadFile(conf/a.json) = %q, %v; want {}", b, err)
	}
}

// TestExtractCountsWrittenBytes: a zip whose headers understate the size is stopped before
// more than the quota is written.
func TestExtractCountsWrittenBytes(t *testing.T) {
	t.Parallel()
	z := makeZip(t, zipEntry{name: "big", body: strings.Repeat("0", 100000)})
	zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	zr.File[0].UncompressedSize64 = 10 // the lie
	dst := t.TempDir()
	err = extract(zr, dst, 4096, maxZipEntries)
	var iz *ErrInvalidZip
	if !errors.As(err, &iz) {
		t.Errorf("extract(understated zip) = %v; want *ErrInvalidZip", err)
	}
	if fi, err := os.Stat(filepath.Join(dst, "big")); err == nil && fi.Size() > 4097 {
		t.Errorf("extract(understated zip) wrote %d bytes; want at most 4097", fi.Size())
	}
}

// refSet is a CodeRefs of fixed content, safe for concurrent use: what committed function
// documents name, for tests of the code store alone.
type refSet struct {
	mu sync.Mutex
	n  map[string]int
}

func (r *refSet) add(h string, d int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == nil {
		r.n = map[string]int{}
	}
	r.n[h] += d
}

func (r *refSet) CodeRefs(context.Context) (map[string]bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]bool{}
	for h, n := range r.n {
		if n > 0 {
			out[h] = true
		}
	}
	return out, nil
}

// stored reports which of a package's entries the code store holds: its zip, its unzipped
// directory.
func stored(cs *CodeStore, h string) (zipThere, dirThere bool) {
	_, err := os.Stat(cs.ZipPath(h))
	_, derr := os.Stat(filepath.Join(cs.dir, h))
	return err == nil, derr == nil
}

func TestCodeStoreCollect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		referenced bool
		pinned     bool
		wantKept   bool
	}{
		{"unreferenced", false, false, false},
		{"referenced", true, false, true},
		{"pinned by a Put whose function has not committed", false, true, true},
		{"referenced and pinned", true, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs, err := NewCodeStore(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			code, release, err := cs.Put(makeZip(t, zipEntry{name: "bootstrap", body: tt.name}))
			if err != nil {
				t.Fatal(err)
			}
			if !tt.pinned {
				release()
			}
			refs := &refSet{}
			if tt.referenced {
				refs.add(code.Hex, 1)
			}
			if err := cs.Collect(context.Background(), refs, code.Hex); err != nil {
				t.Fatalf("Collect = %v", err)
			}
			if z, d := stored(cs, code.Hex); z != tt.wantKept || d != tt.wantKept {
				t.Errorf("after Collect(%s): zip there %v, directory there %v; want both %v", tt.name, z, d, tt.wantKept)
			}
			// Once released and unreferenced, every package goes.
			release()
			if err := cs.Collect(context.Background(), &refSet{}, code.Hex); err != nil {
				t.Fatalf("Collect = %v", err)
			}
			if z, d := stored(cs, code.Hex); z || d {
				t.Errorf("after release and Collect: zip there %v, directory there %v; want neither", z, d)
			}
		})
	}
}

// TestCodeStoreSweep: what a crash leaves (an unreferenced package, temporary files of an
// interrupted Put or extraction) is removed when the store opens; referenced packages stay
// whole.
func TestCodeStoreSweep(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cs, err := NewCodeStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	kept, release, err := cs.Put(makeZip(t, zipEntry{name: "bootstrap", body: "kept"}))
	if err != nil {
		t.Fatal(err)
	}
	release()
	orphan, release, err := cs.Put(makeZip(t, zipEntry{name: "bootstrap", body: "orphan"}))
	if err != nil {
		t.Fatal(err)
	}
	release()
	// A referenced package whose unzipped copy was never made (a crash after the zip's
	// fsync), an unreferenced one with only its directory, and temporary leftovers.
	onlyZip, release, err := cs.Put(makeZip(t, zipEntry{name: "bootstrap", body: "only zip"}))
	if err != nil {
		t.Fatal(err)
	}
	release()
	os.RemoveAll(filepath.Join(dir, onlyZip.Hex))
	onlyDir := strings.Repeat("ab", 32)
	os.MkdirAll(filepath.Join(dir, onlyDir), 0o755)
	os.WriteFile(filepath.Join(dir, kept.Hex+".zip.tmp-123"), []byte("half"), 0o644)
	os.MkdirAll(filepath.Join(dir, kept.Hex+".tmp-456", "sub"), 0o755)

	// A new process: a new CodeStore on the same directory, nothing pinned.
	cs, err = NewCodeStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	refs := &refSet{}
	refs.add(kept.Hex, 1)
	refs.add(onlyZip.Hex, 1)
	n, err := cs.Sweep(context.Background(), refs)
	if err != nil || n != 5 {
		t.Errorf("Sweep = %d, %v; want 5 entries removed (the orphan's zip and directory, a lone directory, two temporaries)", n, err)
	}
	var names []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{kept.Hex, kept.Hex + ".zip", onlyZip.Hex + ".zip"}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("after Sweep the store holds %v; want %v", names, want)
	}
	if _, err := cs.Dir(onlyZip.Hex); err != nil {
		t.Errorf("Dir(referenced package with no unzipped copy) after Sweep = %v; want it extracted", err)
	}
	if z, d := stored(cs, orphan.Hex); z || d {
		t.Errorf("orphan after Sweep: zip there %v, directory there %v; want neither", z, d)
	}
}

// TestCodeStorePinRace: functions sharing one package come and go concurrently; a package a
// committed function names is never missing. Without the pin a Put finding the zip already
// there could be followed by the last other user's Collect removing it before the new
// function commits.
func TestCodeStorePinRace(t *testing.T) {
	t.Parallel()
	cs, err := NewCodeStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	z := makeZip(t, zipEntry{name: "bootstrap", body: "shared"})
	refs := &refSet{}
	const workers, rounds = 4, 50
	errs := make(chan error, workers)
	for range workers {
		go func() {
			errs <- func() error {
				for range rounds {
					code, release, err := cs.Put(z)
					if err != nil {
						return err
					}
					refs.add(code.Hex, 1) // the function document commits
					release()
					if zipThere, dirThere := stored(cs, code.Hex); !zipThere || !dirThere {
						return fmt.Errorf("a committed function's package is missing: zip there %v, directory there %v", zipThere, dirThere)
					}
					refs.add(code.Hex, -1) // the function is deleted
					if err := cs.Collect(context.Background(), refs, code.Hex); err != nil {
						return err
					}
				}
				return nil
			}()
		}()
	}
	for range workers {
		select {
		case err := <-errs:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(60 * time.Second):
			t.Fatal("Put/Collect workers did not finish within 60s")
		}
	}
}

// TestCodeStorePutDirLimits: a directory is refused, with a zip upload's error, before a file
// that would take it over the unzipped quota is read: here a sparse file of a terabyte,
// which would take hours to read and compress.
func TestCodeStorePutDirLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		files   map[string]int64 // name → size; sizes beyond the quota are sparse
		wantErr string
	}{
		{"one huge file", map[string]int64{"bootstrap": 1 << 40}, "Unzipped size must be smaller than 4096 bytes"},
		{"files over the quota together", map[string]int64{"a": 3000, "b": 3000}, "Unzipped size must be smaller than 4096 bytes"},
		{"too many entries", map[string]int64{"a": 1, "b": 1, "c": 1, "d": 1, "e": 1}, "at most 4 are supported"},
		{"within the quota", map[string]int64{"a": 2000, "b": 2000}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := t.TempDir()
			for name, size := range tt.files {
				f, err := os.Create(filepath.Join(src, name))
				if err == nil {
					err = f.Truncate(size)
				}
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			cs, err := NewCodeStore(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			cs.maxUnzipped, cs.maxEntries = testMaxUnzipped, 4
			done := make(chan error, 1)
			go func() { _, _, err := cs.PutDir(src); done <- err }()
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				t.Fatalf("PutDir(%s) did not return within 30s: it reads the files before checking their size", tt.name)
			}
			var iz *ErrInvalidZip
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("PutDir(%s) = %v; want success", tt.name, err)
			case tt.wantErr != "" && (!errors.As(err, &iz) || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("PutDir(%s) = %v; want *ErrInvalidZip containing %q", tt.name, err, tt.wantErr)
			}
		})
	}
}

// TestCopyFileLimited: a file that grew after it was sized is cut one byte past the budget,
// which PutDir then refuses; a file replaced in between is refused.
func TestCopyFileLimited(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	os.WriteFile(p, []byte("small"), 0o644)
	info, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(p, []byte(strings.Repeat("x", 10000)), 0o644) // grows in place: same file
	var buf bytes.Buffer
	if n, err := copyFileLimited(&buf, p, info, 100); err != nil || n != 101 || buf.Len() != 101 {
		t.Errorf("copyFileLimited(grown file, budget 100) = %d, %v, %d bytes copied; want 101", n, err, buf.Len())
	}
	// Another file under the same name (made while the first exists, so not on its inode).
	os.WriteFile(p+".new", []byte("other"), 0o644)
	if err := os.Rename(p+".new", p); err != nil {
		t.Fatal(err)
	}
	if _, err := copyFileLimited(io.Discard, p, info, 100); err == nil || !strings.Contains(err.Error(), "changed while") {
		t.Errorf("copyFileLimited(replaced file) = %v; want changed while it was being packaged", err)
	}
}
