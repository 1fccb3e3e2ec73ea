package extract

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"path"
	"strings"
)

// container is a zip file (Office document, EPUB) read under the zip bomb
// guard: every part is inflated through a counter shared by the whole
// file, so neither one huge part nor many small ones can exceed
// Limits.Unzipped, whatever sizes the archive's directory claims.
type container struct {
	x     *job
	zr    *zip.Reader
	files map[string]*zip.File
	used  int64
}

func (x *job) openZip(data []byte) (*container, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	c := &container{x: x, zr: zr, files: map[string]*zip.File{}}
	for _, f := range zr.File {
		c.files[f.Name] = f
	}
	return c, nil
}

// read inflates a part; a missing part is (nil, nil).
func (c *container) read(name string) ([]byte, error) {
	if err := c.x.ctx.Err(); err != nil {
		return nil, err
	}
	f := c.files[strings.TrimPrefix(name, "/")]
	if f == nil {
		return nil, nil
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	left := c.x.lim.Unzipped - c.used
	b, err := readLimited(rc, left)
	c.used += int64(len(b))
	if errors.Is(err, errTooLarge) {
		return nil, fail("The file inflates to more than the %d MB this server unpacks (a zip bomb, or a document too large to read).", c.x.lim.Unzipped>>20)
	}
	return b, err
}

// rels reads a part's relationships: id → target path, resolved against
// the part's folder.
func (c *container) rels(part string) (map[string]string, error) {
	dir, file := path.Split(part)
	b, err := c.read(dir + "_rels/" + file + ".rels")
	if err != nil || b == nil {
		return map[string]string{}, err
	}
	var doc struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
			Mode   string `xml:"TargetMode,attr"`
		} `xml:"Relationship"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, r := range doc.Rels {
		if r.Mode == "External" {
			continue
		}
		t := r.Target
		if strings.HasPrefix(t, "/") {
			t = strings.TrimPrefix(t, "/")
		} else {
			t = path.Join(dir, t)
		}
		out[r.ID] = t
	}
	return out, nil
}

// coreTitle is the dc:title of an Office document's core properties.
func (c *container) coreTitle() string {
	b, err := c.read("docProps/core.xml")
	if err != nil || b == nil {
		return ""
	}
	var doc struct {
		Title string `xml:"http://purl.org/dc/elements/1.1/ title"`
	}
	_ = xml.Unmarshal(b, &doc)
	return doc.Title
}

// xmlTokens walks an XML part token by token, so a deep or huge part costs
// no more memory than the text it holds.
func xmlTokens(b []byte, fn func(tok xml.Token) error) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(tok); err != nil {
			return err
		}
	}
}
