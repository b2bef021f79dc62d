package lambda

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
)

// Lambda's deployment package quotas (the Lambda quotas page): 250 MB unzipped.
const (
	MaxUnzippedBytes = 262144000
	// maxZipEntries bounds the files of one package, against zip bombs of empty entries.
	maxZipEntries = 100000
)

// ErrInvalidZip is a deployment package that cannot be used: not a zip, an entry escaping the
// package, too large unzipped. Its message is Lambda's where Lambda has one.
type ErrInvalidZip struct{ Reason string }

func (e *ErrInvalidZip) Error() string { return e.Reason }

// Code is a stored deployment package.
type Code struct {
	Sha256 string // base64 of the zip's SHA-256, as CodeSha256 reports it
	Hex    string // hex of the same hash: the name of its files
	Size   int64  // the zip's size in bytes (CodeSize)
}

// CodeStore keeps deployment packages under dir: the zip as {sha256-hex}.zip, written and
// fsynced before the function document that names it commits (so a crash loses nothing
// acknowledged), and unzipped to {sha256-hex}/ for the runtime, extracted on demand from the
// zip when missing.
//
// A package lives as long as a committed function document names it. The order of the
// writes makes this crash-safe without a stored reference count: a package is written
// before the document naming it commits, and removed (Collect) only after the last document
// naming it is gone, so a crash leaves at worst an unreferenced package, never a reference to
// a missing one; Sweep removes those when gatehouse opens the store again. Between Put and
// the commit of its document a package is pinned, so that a concurrent Collect of the same
// content (another function's delete) cannot remove it in that window.
type CodeStore struct {
	dir string
	// maxUnzipped is the largest unzipped package, and the most bytes PutDir reads;
	// NewCodeStore sets MaxUnzippedBytes.
	maxUnzipped int64
	// maxEntries is the most files and directories of one package; NewCodeStore sets
	// maxZipEntries.
	maxEntries int
	// mu serializes extraction and collection and guards pins: Collect holds it from reading
	// the references to removing the files, so a Put (which pins under mu) either comes
	// before and is seen, or after and writes the package again.
	mu sync.Mutex
	// pins counts, per hex hash, the Puts whose function document has not committed (or
	// failed) yet.
	pins map[string]int
}

// NewCodeStore returns the code store at dir ({data-dir}/lambda/code), creating it. Call
// Sweep before serving, to collect what a crash left unreferenced.
func NewCodeStore(dir string) (*CodeStore, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create code store: %w", err)
	}
	return &CodeStore{dir: dir, maxUnzipped: MaxUnzippedBytes, maxEntries: maxZipEntries, pins: map[string]int{}}, nil
}

// CodeRefs reports the packages that committed function documents name, as the set of their
// hex hashes (Function.CodeHex). *Registry is one.
type CodeRefs interface {
	CodeRefs(ctx context.Context) (map[string]bool, error)
}

// ZipPath is where the zip of the package with this hex hash lives.
func (c *CodeStore) ZipPath(hexSum string) string { return filepath.Join(c.dir, hexSum+".zip") }

// Put checks a zip, stores it durably and extracts it. A package that is not a usable zip is
// an *ErrInvalidZip. The package is pinned against Collect until release is called: call it
// once the function document naming the package has committed, or failed to (release is a
// no-op after an error, and safe to call more than once).
func (c *CodeStore) Put(zipBytes []byte) (code Code, release func(), err error) {
	sum := sha256.Sum256(zipBytes)
	code = Code{Sha256: base64.StdEncoding.EncodeToString(sum[:]), Hex: hex.EncodeToString(sum[:]), Size: int64(len(zipBytes))}
	zr, err := zip.NewReader(bytes.NewReader(zipBytes), int64(len(zipBytes)))
	if err != nil {
		return Code{}, func() {}, &ErrInvalidZip{"Could not unzip uploaded file. Please check your file, then try to upload again."}
	}
	if err := checkZip(zr, c.maxUnzipped, c.maxEntries); err != nil {
		return Code{}, func() {}, err
	}
	// Pinned before the file is written or found there: a Collect that runs after this
	// leaves it alone, one that ran before has removed it, and it is written again below.
	release = c.pin(code.Hex)
	if err := writeFileSync(c.ZipPath(code.Hex), zipBytes); err != nil {
		release()
		return Code{}, func() {}, fmt.Errorf("store code: %w", err)
	}
	if _, err := c.Dir(code.Hex); err != nil {
		release()
		return Code{}, func() {}, err
	}
	return code, release, nil
}

// pin protects the package hexSum from Collect until the returned func is called.
func (c *CodeStore) pin(hexSum string) func() {
	c.mu.Lock()
	c.pins[hexSum]++
	c.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			if c.pins[hexSum]--; c.pins[hexSum] <= 0 {
				delete(c.pins, hexSum)
			}
			c.mu.Unlock()
		})
	}
}

// Collect removes the package hexSum if no committed function document names it (refs) and
// no Put has pinned it: its zip, so it is no longer downloadable, then its unzipped copy.
// Call it after the document that named it was deleted or changed has committed; a crash
// before or during Collect leaves files that Sweep removes.
func (c *CodeStore) Collect(ctx context.Context, refs CodeRefs, hexSum string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !validHex(hexSum) || c.pins[hexSum] > 0 {
		return nil
	}
	live, err := refs.CodeRefs(ctx)
	if err != nil {
		return fmt.Errorf("collect code: %w", err)
	}
	if live[hexSum] {
		return nil
	}
	return c.remove(hexSum)
}

// Sweep removes every package no committed function document names, and what an
// interrupted Put or extraction left behind (temporary files and directories): what a crash
// between a function's delete (or code update) and its Collect left, or between a Put and
// the commit that failed to follow. Run it when the store opens, before serving. It returns
// the number of entries it removed.
func (c *CodeStore) Sweep(ctx context.Context, refs CodeRefs) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	live, err := refs.CodeRefs(ctx)
	if err != nil {
		return 0, fmt.Errorf("sweep code: %w", err)
	}
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		return 0, fmt.Errorf("sweep code: %w", err)
	}
	removed := 0
	for _, e := range entries {
		name := e.Name()
		h := strings.TrimSuffix(name, ".zip")
		if validHex(h) && (live[h] || c.pins[h] > 0) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(c.dir, name)); err != nil {
			return removed, fmt.Errorf("sweep code: %w", err)
		}
		removed++
	}
	return removed, syncDir(c.dir)
}

// remove deletes a package: the zip first (durably: no longer downloadable, and not extracted
// again by Dir), then the unzipped copy. Called with mu held.
func (c *CodeStore) remove(hexSum string) error {
	if err := os.Remove(c.ZipPath(hexSum)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove code %s: %w", hexSum, err)
	}
	if err := syncDir(c.dir); err != nil {
		return fmt.Errorf("remove code %s: %w", hexSum, err)
	}
	if err := os.RemoveAll(filepath.Join(c.dir, hexSum)); err != nil {
		return fmt.Errorf("remove code %s: %w", hexSum, err)
	}
	return nil
}

// validHex reports whether s is a hex SHA-256 as the store names its files.
func validHex(s string) bool {
	return len(s) == 64 && strings.Trim(s, "0123456789abcdef") == ""
}

// PutDir packages a local directory as a zip (a gatehouse extension: CreateFunction from a
// directory on this machine) and stores it as Put does. It reads no more than an uploaded
// zip may hold unzipped: each file's size is checked against what is left of the quota
// before the file is read, and the read is cut at that size in case the file grows, so an
// oversized tree is refused with Put's error (Lambda's "Unzipped size must be smaller than
// ..."), as is one of more entries than a zip may have.
func (c *CodeStore) PutDir(dir string) (Code, func(), error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	budget, entries := c.maxUnzipped, 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		info, err := d.Info() // Lstat: a symlink is refused below, not followed
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() && !info.IsDir() {
			return fmt.Errorf("%s: only regular files and directories can be packaged", rel)
		}
		if entries++; entries > c.maxEntries {
			return tooManyEntries(entries, c.maxEntries)
		}
		if !info.IsDir() && info.Size() > budget {
			return tooLarge(c.maxUnzipped)
		}
		h, err := zip.FileInfoHeader(info)
		if err != nil {
			return err
		}
		h.Name = filepath.ToSlash(rel)
		if info.IsDir() {
			h.Name += "/"
			_, err := zw.CreateHeader(h)
			return err
		}
		h.Method = zip.Deflate
		w, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		n, err := copyFileLimited(w, p, info, budget)
		budget -= n
		if err == nil && budget < 0 {
			err = tooLarge(c.maxUnzipped)
		}
		return err
	})
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		var iz *ErrInvalidZip
		if errors.As(err, &iz) {
			return Code{}, func() {}, iz
		}
		return Code{}, func() {}, &ErrInvalidZip{fmt.Sprintf("package %s: %v", dir, err)}
	}
	return c.Put(buf.Bytes())
}

// copyFileLimited copies the regular file at p, which WalkDir saw as info, to w: at most
// budget+1 bytes (one more than allowed tells a file that grew since it was seen), and only
// if it is still that file (not replaced by a symlink, a FIFO or a device in between).
func copyFileLimited(w io.Writer, p string, info fs.FileInfo, budget int64) (int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if !fi.Mode().IsRegular() || !os.SameFile(info, fi) {
		return 0, fmt.Errorf("%s changed while it was being packaged", p)
	}
	return io.Copy(w, io.LimitReader(f, budget+1))
}

// Dir returns the directory the package with this hex hash is unzipped in, extracting it from
// the stored zip when it is not there yet (after a crash between the two, or a data dir whose
// extracted copies were removed).
func (c *CodeStore) Dir(hexSum string) (string, error) {
	if !validHex(hexSum) {
		return "", fmt.Errorf("code %q: not a sha256", hexSum)
	}
	dst := filepath.Join(c.dir, hexSum)
	if _, err := os.Stat(dst); err == nil {
		return dst, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := os.Stat(dst); err == nil {
		return dst, nil
	}
	zr, err := zip.OpenReader(c.ZipPath(hexSum))
	if err != nil {
		return "", fmt.Errorf("open code %s: %w", hexSum, err)
	}
	defer zr.Close()
	tmp, err := os.MkdirTemp(c.dir, hexSum+".tmp-")
	if err != nil {
		return "", fmt.Errorf("extract code: %w", err)
	}
	if err := extract(&zr.Reader, tmp, c.maxUnzipped, c.maxEntries); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("extract code: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("extract code: %w", err)
	}
	return dst, nil
}

// checkZip rejects a package gatehouse will not extract: entries that escape the package
// directory (absolute, "..", backslashes), symlinks pointing outside it, more than
// maxEntries entries, or more than maxUnzipped bytes declared.
func checkZip(zr *zip.Reader, maxUnzipped int64, maxEntries int) error {
	if len(zr.File) > maxEntries {
		return tooManyEntries(len(zr.File), maxEntries)
	}
	var total uint64
	for _, f := range zr.File {
		if _, err := entryPath(f.Name); err != nil {
			return err
		}
		total += f.UncompressedSize64
		if total > uint64(maxUnzipped) {
			return tooLarge(maxUnzipped)
		}
	}
	return nil
}

// tooManyEntries is gatehouse's error for a package of more than limit files and directories
// (Lambda documents no such quota; this one bounds zip bombs of empty entries).
func tooManyEntries(n, limit int) error {
	return &ErrInvalidZip{fmt.Sprintf("deployment package has %d entries; at most %d are supported", n, limit)}
}

// tooLarge is Lambda's error for a package over the unzipped size quota.
func tooLarge(limit int64) error {
	return &ErrInvalidZip{fmt.Sprintf("Unzipped size must be smaller than %d bytes", limit)}
}

// entryPath returns a zip entry's clean relative path, or an error if it escapes the package.
func entryPath(name string) (string, error) {
	if strings.Contains(name, "\\") || strings.HasPrefix(name, "/") || strings.ContainsRune(name, 0) {
		return "", &ErrInvalidZip{fmt.Sprintf("deployment package entry %q is not a relative path", name)}
	}
	clean := path.Clean(name)
	if clean == ".." || strings.HasPrefix(clean, "../") || clean == "." && name != "./" {
		return "", &ErrInvalidZip{fmt.Sprintf("deployment package entry %q points outside the package", name)}
	}
	return clean, nil
}

// extract unzips zr into dst (an empty directory), counting the bytes actually written
// against maxUnzipped (a zip's declared sizes can lie). Files keep their executable
// bits; the root "bootstrap" is always executable, as Lambda makes it for custom runtimes
// (zips built on Windows carry no Unix modes).
func extract(zr *zip.Reader, dst string, maxUnzipped int64, maxEntries int) error {
	if err := checkZip(zr, maxUnzipped, maxEntries); err != nil {
		return err
	}
	budget := maxUnzipped
	// Symlinks are made after every file and directory, and never below another symlink, so
	// nothing is written through one.
	var links []*zip.File
	for _, f := range zr.File {
		rel, _ := entryPath(f.Name)
		if rel == "." {
			continue
		}
		target := filepath.Join(dst, filepath.FromSlash(rel))
		mode := f.Mode()
		switch {
		case mode.IsDir():
			if err := os.MkdirAll(target, 0o755); err != nil {
				return fmt.Errorf("extract %s: %w", rel, err)
			}
			continue
		case mode&fs.ModeSymlink != 0:
			links = append(links, f)
			continue
		case !mode.IsRegular() && mode.Type() != 0:
			return &ErrInvalidZip{fmt.Sprintf("deployment package entry %q is not a file or directory", f.Name)}
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return fmt.Errorf("extract %s: %w", rel, err)
		}
		perm := fs.FileMode(0o644)
		if mode&0o111 != 0 || rel == "bootstrap" {
			perm = 0o755
		}
		n, err := extractFile(f, target, perm, budget, maxUnzipped)
		if err != nil {
			return err
		}
		budget -= n
	}
	isLink := make(map[string]bool, len(links))
	for _, f := range links {
		rel, _ := entryPath(f.Name)
		isLink[rel] = true
	}
	for _, f := range links {
		rel, _ := entryPath(f.Name)
		if err := extractSymlink(f, dst, rel, isLink); err != nil {
			return err
		}
	}
	return nil
}

// climbsThroughLink reports whether link, followed from the package directory dir, passes
// a symlink of the package and then a "..": the kernel resolves that ".." from wherever the
// symlink points, not lexically, so the target could leave the package (x/y/z -> ../..
// makes b -> x/y/z/../.. two levels above it).
func climbsThroughLink(dir, link string, isLink map[string]bool) bool {
	var cur []string
	if dir != "." {
		cur = strings.Split(dir, "/")
	}
	viaLink := false
	for _, c := range strings.Split(link, "/") {
		switch c {
		case "", ".":
		case "..":
			if viaLink {
				return true
			}
			if len(cur) > 0 {
				cur = cur[:len(cur)-1]
			}
		default:
			cur = append(cur, c)
			if isLink[strings.Join(cur, "/")] {
				viaLink = true
			}
		}
	}
	return false
}

func extractFile(f *zip.File, target string, perm fs.FileMode, budget, maxUnzipped int64) (int64, error) {
	rc, err := f.Open()
	if err != nil {
		return 0, &ErrInvalidZip{"Could not unzip uploaded file. Please check your file, then try to upload again."}
	}
	defer rc.Close()
	// O_EXCL: a second entry of the same name, or one written through a symlink, is refused.
	out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return 0, &ErrInvalidZip{fmt.Sprintf("deployment package entry %q: %v", f.Name, err)}
	}
	n, err := io.Copy(out, io.LimitReader(rc, budget+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, &ErrInvalidZip{"Could not unzip uploaded file. Please check your file, then try to upload again."}
	}
	if n > budget {
		return n, tooLarge(maxUnzipped)
	}
	return n, nil
}

// extractSymlink recreates a symlink whose target stays inside the package (and climbs no
// ".." through another of its symlinks), in a directory that is not itself reached through
// a symlink.
func extractSymlink(f *zip.File, dst, rel string, isLink map[string]bool) error {
	target := filepath.Join(dst, filepath.FromSlash(rel))
	for dir := path.Dir(rel); dir != "."; dir = path.Dir(dir) {
		if fi, err := os.Lstat(filepath.Join(dst, filepath.FromSlash(dir))); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return &ErrInvalidZip{fmt.Sprintf("deployment package symlink %q is below another symlink", f.Name)}
		}
	}
	rc, err := f.Open()
	if err != nil {
		return &ErrInvalidZip{"Could not unzip uploaded file. Please check your file, then try to upload again."}
	}
	b, err := io.ReadAll(io.LimitReader(rc, 4096))
	rc.Close()
	if err != nil {
		return &ErrInvalidZip{"Could not unzip uploaded file. Please check your file, then try to upload again."}
	}
	link := string(b)
	resolved := path.Join(path.Dir(rel), link)
	if link == "" || strings.HasPrefix(link, "/") || strings.Contains(link, "\\") || resolved == ".." || strings.HasPrefix(resolved, "../") ||
		climbsThroughLink(path.Dir(rel), link, isLink) {
		return &ErrInvalidZip{fmt.Sprintf("deployment package symlink %q points outside the package", f.Name)}
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return fmt.Errorf("extract %s: %w", rel, err)
	}
	if err := os.Symlink(filepath.FromSlash(link), target); err != nil {
		return &ErrInvalidZip{fmt.Sprintf("deployment package entry %q: %v", f.Name, err)}
	}
	return nil
}

// writeFileSync writes b to name durably: a temporary file in the same directory, fsynced,
// renamed over name, and the directory fsynced, so that name is either absent or whole after a
// crash. An existing name is left alone (same name, same content: it is content-addressed).
func writeFileSync(name string, b []byte) error {
	if _, err := os.Stat(name); err == nil {
		return nil
	}
	dir := filepath.Dir(name)
	f, err := os.CreateTemp(dir, filepath.Base(name)+".tmp-")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

// syncDir fsyncs a directory, making the creations, renames and removals in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
