// Package web holds the files the server ships to browsers: the product's
// web UI, and the API reference page with its vendored Swagger UI, all
// embedded so they work with no internet access and no build step.
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
