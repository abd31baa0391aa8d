package advisory

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// maxDocumentSize bounds one document read from an archive, so that a
// crafted tarball cannot exhaust memory; real CSAF files are under 2 MiB.
const maxDocumentSize = 64 << 20

// maxArchiveSize bounds what one archive may unpack into memory (Walk must
// hold all members to sort them); the 2,325-document CISA corpus is 55 MB.
const maxArchiveSize = 2 << 30

// Walk reads a CSAF file, a directory (recursively, *.json only, so .sha256,
// .sha512 and .asc files beside them are skipped) or a .tar.gz/.tgz archive,
// and calls fn for every document in order of path. A document that fails to
// parse is passed as (nil, err) with its file or member name in err; an error
// returned by fn stops the walk and is returned as is.
func Walk(path string, fn func(a *Advisory, err error) error) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("walk: %w", err)
	}
	switch {
	case info.IsDir():
		return walkDir(path, fn)
	case isArchive(path):
		return walkArchive(path, fn)
	}
	return fn(ParseFile(path))
}

func isArchive(path string) bool {
	l := strings.ToLower(path)
	return strings.HasSuffix(l, ".tar.gz") || strings.HasSuffix(l, ".tgz")
}

func isDocument(name string) bool {
	return strings.HasSuffix(strings.ToLower(name), ".json")
}

func walkDir(root string, fn func(*Advisory, error) error) error {
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && isDocument(p) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("walk %s: %w", root, err)
	}
	sort.Strings(files)
	for _, f := range files {
		if err := fn(ParseFile(f)); err != nil {
			return err
		}
	}
	return nil
}

type member struct {
	name string
	data []byte
	err  error
}

// walkArchive reads every JSON member into memory first, because the order
// of fn calls must be by name whatever the order inside the archive.
func walkArchive(path string, fn func(*Advisory, error) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("walk: %w", err)
	}
	defer f.Close()
	members, err := readArchive(f)
	if err != nil {
		return fmt.Errorf("walk %s: %w", path, err)
	}
	for i := range members {
		m := &members[i]
		name := path + "!" + m.name
		var a *Advisory
		err := m.err
		if err == nil {
			a, err = parseNamed(name, m.data)
		} else {
			err = fmt.Errorf("%s: %w", name, err)
		}
		m.data = nil // let the collector take it before the next document
		if err := fn(a, err); err != nil {
			return err
		}
	}
	return nil
}

// readArchive returns the JSON members of a gzip-compressed tar stream
// sorted by name.
func readArchive(r io.Reader) ([]member, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	defer gz.Close()
	tr := tar.NewReader(gz)
	var members []member
	var total int64
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if h.Typeflag != tar.TypeReg || !isDocument(h.Name) {
			continue
		}
		m := member{name: h.Name}
		if h.Size > maxDocumentSize {
			m.err = fmt.Errorf("document of %d bytes exceeds the %d byte limit", h.Size, maxDocumentSize)
		} else {
			if total += h.Size; total > maxArchiveSize {
				return nil, fmt.Errorf("archive unpacks to more than %d bytes", maxArchiveSize)
			}
			m.data = make([]byte, h.Size)
			if _, err := io.ReadFull(tr, m.data); err != nil {
				return nil, fmt.Errorf("%s: %w", h.Name, err)
			}
		}
		members = append(members, m)
	}
	sort.Slice(members, func(i, j int) bool { return members[i].name < members[j].name })
	return members, nil
}
