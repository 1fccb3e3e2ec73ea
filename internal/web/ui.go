package web

import (
	"embed"
	"io/fs"
)

// The web UI: static HTML pages, one stylesheet and small JavaScript
// modules that call the JSON API. Nothing in these files depends on the
// request, so no page can carry data or secrets.
//
//go:embed ui
var uiFiles embed.FS

// UI returns the web UI's files, rooted so "index.html" and
// "assets/app.css" are at the top.
func UI() fs.FS {
	sub, err := fs.Sub(uiFiles, "ui")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}
