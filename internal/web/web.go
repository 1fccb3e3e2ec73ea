// Package web holds the files the server ships to browsers: the API
// reference page and its vendored Swagger UI, embedded so they work with no
// internet access.
package web

import (
	"embed"
	"io/fs"
)

//go:embed static
var files embed.FS

// Static returns the static files, rooted so "docs.js" is at the top.
func Static() fs.FS {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}
