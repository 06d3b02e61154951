// Package tables holds the bounded tables a stream is joined with
// (`JOIN table('cities.csv') AS c ON o.city = c.name`): a file read whole
// into memory and kept up to date. A table is versioned: a new version is
// read completely and swapped in atomically, so each row is joined with
// exactly one version, and a version that fails to load leaves the
// previous one in place. The join operators build their own index of each
// version they see (see operators.LookupJoin).
package tables
