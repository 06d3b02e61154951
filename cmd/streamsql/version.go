package main

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// version says which streamsql this is, from what the Go toolchain
// recorded in the binary: the module version (a tag, a pseudo-version, or
// "(devel)" for a build in a work tree), the commit it was built from, its
// time and whether the tree had changes, and the Go version.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "streamsql (no build information) " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
	}
	return formatVersion(bi, runtime.GOOS+"/"+runtime.GOARCH)
}

// formatVersion renders bi as one line, e.g.
//
//	streamsql v1.2.0 (commit 530c1c8d3f2a, 2026-05-01T12:00:00Z, modified) go1.26.8 linux/amd64
func formatVersion(bi *debug.BuildInfo, platform string) string {
	v := bi.Main.Version
	if v == "" {
		v = "(unknown version)"
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	var vcs []string
	if rev := settings["vcs.revision"]; rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		vcs = append(vcs, "commit "+rev)
	}
	if t := settings["vcs.time"]; t != "" {
		vcs = append(vcs, t)
	}
	if settings["vcs.modified"] == "true" {
		vcs = append(vcs, "modified")
	}
	out := "streamsql " + v
	if len(vcs) > 0 {
		out += " (" + strings.Join(vcs, ", ") + ")"
	}
	return out + " " + bi.GoVersion + " " + platform
}
