// Package provenance says which source a result came from: the VCS
// revision of the build and whether its tree had uncommitted changes. Every
// results.json, run.json, sweep result and report header carries it, so a
// figure can be traced to the commit that produced it.
package provenance
