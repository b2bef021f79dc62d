package lambda

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// zipEntry is one entry of a test zip.
type zipEntry struct {
	name, body string
	mode       fs.FileMode
}

func makeZip(t *testing.T, entries ...zipEntry) []byte {
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
	code, err := cs.Put(z)
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
	if again, err := cs.Put(z); err != nil || again != code {
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
			_, err = cs.Put(tt.zip(t))
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
	code, err := cs.PutDir(src)
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
	err = extract(zr, dst, 4096)
	var iz *ErrInvalidZip
	if !errors.As(err, &iz) {
		t.Errorf("extract(understated zip) = %v; want *ErrInvalidZip", err)
	}
	if fi, err := os.Stat(filepath.Join(dst, "big")); err == nil && fi.Size() > 4097 {
		t.Errorf("extract(understated zip) wrote %d bytes; want at most 4097", fi.Size())
	}
}
