package streamsql

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrPathNotAllowed is the class of the error a query gets for a path
// outside Config.AllowedDirs.
var ErrPathNotAllowed = errors.New("path not allowed")

// dirPolicy holds Config.AllowedDirs, resolved: every path a query names
// (a file() directory, a table or database file, a sink's directory or
// database, a dead letter file, a checkpoint directory) must lie inside
// one of them once symbolic links are followed, so neither `..` nor a link
// planted in an allowed directory leads out of it.
type dirPolicy struct {
	given    []string // as configured, for messages
	resolved []string // absolute, links followed
}

func newDirPolicy(dirs []string) (*dirPolicy, error) {
	if len(dirs) == 0 {
		return nil, nil
	}
	p := &dirPolicy{given: dirs}
	for _, d := range dirs {
		r, err := resolvePath(d)
		if err != nil {
			return nil, fmt.Errorf("allowed directory %s: %w", d, err)
		}
		p.resolved = append(p.resolved, r)
	}
	return p, nil
}

// check returns nil when path is inside an allowed directory.
func (p *dirPolicy) check(path string) error {
	if p == nil {
		return nil
	}
	// An SQLite name may carry a file: scheme and ?parameters.
	path = strings.TrimPrefix(path, "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	r, err := resolvePath(path)
	if err == nil {
		for _, d := range p.resolved {
			if r == d || strings.HasPrefix(r, d+string(filepath.Separator)) || d == string(filepath.Separator) {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: %q is outside the allowed directories (--allow-dir %s)", ErrPathNotAllowed, path, strings.Join(p.given, ", "))
}

// resolvePath makes path absolute and follows its links, as the kernel
// would: the longest part that exists is resolved by EvalSymlinks (which
// applies a ".." after a link to where the link points, where cleaning
// the text first would not); the rest, not there yet (a sink's directory,
// a new database), cannot hold a link, and may not climb with "..".
func resolvePath(path string) (string, error) {
	sep := string(filepath.Separator)
	if !filepath.IsAbs(path) {
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		path = wd + sep + path
	}
	parts := strings.Split(path, sep)
	for i := len(parts); i > 0; i-- {
		prefix := strings.Join(parts[:i], sep)
		if prefix == "" {
			prefix = sep
		}
		r, err := filepath.EvalSymlinks(prefix)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			return "", err
		}
		rest := parts[i:]
		for _, p := range rest {
			if p == ".." {
				return "", fmt.Errorf("%q climbs out of a directory that does not exist", path)
			}
		}
		return filepath.Join(append([]string{r}, rest...)...), nil
	}
	return filepath.Clean(path), nil
}
