package lambda

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The quotas of FuzzExtract's packages: small, so that each input is cheap.
const (
	fuzzMaxUnzipped = 1 << 16
	fuzzMaxEntries  = 64
)

// FuzzExtract feeds arbitrary bytes as a deployment package to the checks and the
// extraction a Put runs. Whatever the bytes: no panic; nothing is created outside the
// target directory, and no symlink in it resolves outside it; no more than the quota is
// written (one byte more on the entry that is refused for it); and either an error or the
// whole tree: every file entry extracted.
func FuzzExtract(f *testing.F) {
	for _, z := range extractSeeds(f) {
		f.Add(z)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return // Put answers "Could not unzip uploaded file"
		}
		root, err := filepath.EvalSymlinks(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(root, "pkg")
		if err := os.Mkdir(dst, 0o755); err != nil {
			t.Fatal(err)
		}
		extractErr := extract(zr, dst, fuzzMaxUnzipped, fuzzMaxEntries)

		if entries, _ := os.ReadDir(root); len(entries) != 1 {
			t.Fatalf("extract created %d entries beside the package directory; want none", len(entries)-1)
		}
		var total int64
		err = filepath.WalkDir(dst, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			fi, err := os.Lstat(p)
			if err != nil {
				return err
			}
			switch {
			case fi.Mode().IsRegular():
				total += fi.Size()
			case fi.Mode()&fs.ModeSymlink != 0:
				if to := resolve(p); to != dst && !strings.HasPrefix(to, dst+string(filepath.Separator)) {
					link, _ := os.Readlink(p)
					t.Fatalf("symlink %s -> %s resolves to %s, outside the package %s", p, link, to, dst)
				}
			case !fi.IsDir():
				t.Fatalf("extract made %s of mode %v; want only files, directories and symlinks", p, fi.Mode())
			}
			return nil
		})
		if err != nil {
			t.Fatalf("walk the extracted package: %v", err)
		}
		if total > fuzzMaxUnzipped+1 || (extractErr == nil && total > fuzzMaxUnzipped) {
			t.Fatalf("extract wrote %d bytes (error %v); the quota is %d", total, extractErr, fuzzMaxUnzipped)
		}
		if extractErr != nil {
			return
		}
		for _, zf := range zr.File {
			if !zf.Mode().IsRegular() {
				continue
			}
			rel, _ := entryPath(zf.Name)
			if fi, err := os.Lstat(filepath.Join(dst, filepath.FromSlash(rel))); err != nil || !fi.Mode().IsRegular() {
				t.Fatalf("extract succeeded but file entry %q is %v, %v; want a regular file", zf.Name, fi, err)
			}
		}
	})
}

// resolve follows the symlinks of the absolute path p as the kernel does, component by
// component ("x/.." after a symlink x is taken from where x points), tolerating a missing
// tail, and returns the path it reaches; a loop stops where it is detected.
func resolve(p string) string {
	parts := strings.Split(p, string(filepath.Separator))
	cur := string(filepath.Separator)
	for hops := 0; len(parts) > 0; {
		c := parts[0]
		parts = parts[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			cur = filepath.Dir(cur)
			continue
		}
		next := filepath.Join(cur, c)
		fi, err := os.Lstat(next)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		if hops++; hops > 40 { // the kernel's ELOOP
			return next
		}
		link, err := os.Readlink(next)
		if err != nil {
			return next
		}
		if filepath.IsAbs(link) {
			cur = string(filepath.Separator)
		}
		parts = append(strings.Split(link, string(filepath.Separator)), parts...)
	}
	return cur
}

// extractSeeds are packages that probe each check: a good one, symlinks in and out, names
// that escape, sizes that lie, duplicates, and names that collide with symlinks and files.
func extractSeeds(tb testing.TB) [][]byte {
	link := fs.ModeSymlink | 0o777
	seeds := [][]byte{
		makeZip(tb,
			zipEntry{name: "bootstrap", body: "#!/bin/sh\n", mode: 0o755},
			zipEntry{name: "lib/", mode: fs.ModeDir | 0o755},
			zipEntry{name: "lib/data.txt", body: "data"},
			zipEntry{name: "current", body: "lib", mode: link}),
		makeZip(tb, zipEntry{name: "a/link", body: "../../x", mode: link}),
		makeZip(tb, zipEntry{name: "link", body: "/etc/passwd", mode: link}),
		makeZip(tb, zipEntry{name: "../evil", body: "x"}),
		makeZip(tb, zipEntry{name: "a/../../evil", body: "x"}),
		makeZip(tb, zipEntry{name: "/etc/evil", body: "x"}),
		makeZip(tb, zipEntry{name: "..\\evil", body: "x"}),
		makeZip(tb, zipEntry{name: "a", body: "1"}, zipEntry{name: "a", body: "2"}),
		makeZip(tb, zipEntry{name: "a", body: "1"}, zipEntry{name: "a/b", body: "2"}),
		makeZip(tb, zipEntry{name: "d/", mode: fs.ModeDir | 0o755}, zipEntry{name: "s", body: "d", mode: link}, zipEntry{name: "s/t", body: "..", mode: link}),
		makeZip(tb, zipEntry{name: "s", body: "d", mode: link}, zipEntry{name: "s/f", body: "through the link"}),
		makeZip(tb,
			zipEntry{name: "x/y/", mode: fs.ModeDir | 0o755},
			zipEntry{name: "x/y/z", body: "../..", mode: link},
			zipEntry{name: "b", body: "x/y/z/../..", mode: link}),
		makeZip(tb, zipEntry{name: "loop", body: "loop", mode: link}),
		makeZip(tb, zipEntry{name: "big", body: strings.Repeat("0", fuzzMaxUnzipped+1)}),
		makeZip(tb, zipEntry{name: "fifo", body: "", mode: fs.ModeNamedPipe | 0o644}),
		rawZip(tb, "declared huge", zip.Store, 1<<40, []byte("small")),
		rawZip(tb, "declared small", zip.Deflate, 10, deflate(tb, bytes.Repeat([]byte{0}, 4*fuzzMaxUnzipped))),
		[]byte("not a zip"),
	}
	return seeds
}

// rawZip is a zip of one entry whose header declares size bytes unzipped, whatever data is.
func rawZip(tb testing.TB, name string, method uint16, size uint64, data []byte) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: method, CompressedSize64: uint64(len(data)), UncompressedSize64: size})
	if err == nil {
		_, err = w.Write(data)
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// deflate compresses b as a zip entry's data.
func deflate(tb testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	fw, err := flate.NewWriter(&buf, flate.BestCompression)
	if err == nil {
		_, err = fw.Write(b)
	}
	if err == nil {
		err = fw.Close()
	}
	if err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}
