package extract

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
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
	used  int64         // bytes inflated
	raw   *countingFile // bytes of the archive read to inflate them
}

// maxRatio is the most a container may inflate per byte read once it has
// inflated zipRatioAfter bytes. Office XML and EPUB chapters inflate 5 to
// 30 times; a zip bomb inflates hundreds of times, and is stopped here
// long before Limits.Unzipped, which bounds what parsing such a stream
// costs.
const (
	maxRatio       = 150
	zipRatioAfter  = 4 << 20
	zipBombMessage = "The file inflates to more than %s (a zip bomb, or a document too large to read)."
)

// countingFile counts the bytes read from the archive.
type countingFile struct {
	r *bytes.Reader
	n int64
}

func (c *countingFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n += int64(n)
	return n, err
}

func (x *job) openZip(data []byte) (*container, error) {
	raw := &countingFile{r: bytes.NewReader(data)}
	zr, err := zip.NewReader(raw, int64(len(data)))
	if err != nil {
		return nil, err
	}
	c := &container{x: x, zr: zr, files: map[string]*zip.File{}, raw: raw}
	for _, f := range zr.File {
		c.files[f.Name] = f
	}
	return c, nil
}

// maxSmallPart bounds a part read whole (relationships, manifests,
// package documents, metadata); the large parts (document body, slides,
// sheets, chapters) are streamed or bounded by the text limit.
const maxSmallPart = 16 << 20

// stream inflates a part through fn as it is read, counted against the
// container's budget; a missing part is not an error and fn is not called.
func (c *container) stream(name string, fn func(r io.Reader) error) error {
	if err := c.x.ctx.Err(); err != nil {
		return err
	}
	f := c.files[strings.TrimPrefix(name, "/")]
	if f == nil {
		return nil
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return fn(&budgetReader{r: rc, c: c})
}

// read inflates a part whole, up to max bytes; a missing part is (nil, nil).
func (c *container) read(name string, max int64) (b []byte, err error) {
	err = c.stream(name, func(r io.Reader) error {
		b, err = readLimited(r, max)
		if errors.Is(err, errTooLarge) {
			return fail("A part of the file (%s) is larger than the %d MB this server reads.", path.Base(name), max>>20)
		}
		return err
	})
	return b, err
}

// budgetReader counts inflated bytes against Limits.Unzipped.
type budgetReader struct {
	r io.Reader
	c *container
}

func (b *budgetReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	c := b.c
	c.used += int64(n)
	if c.used > c.x.lim.Unzipped {
		return n, fail(zipBombMessage, fmt.Sprintf("the %d MB this server unpacks", c.x.lim.Unzipped>>20))
	}
	if c.used > zipRatioAfter && c.used > maxRatio*c.raw.n {
		return n, fail(zipBombMessage, fmt.Sprintf("%d times its compressed size", maxRatio))
	}
	return n, err
}

// rels reads a part's relationships: id → target path, resolved against
// the part's folder.
func (c *container) rels(part string) (map[string]string, error) {
	dir, file := path.Split(part)
	b, err := c.read(dir+"_rels/"+file+".rels", maxSmallPart)
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
	b, err := c.read("docProps/core.xml", maxSmallPart)
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
func xmlTokens(r io.Reader, fn func(tok xml.Token) error) error {
	d := xml.NewDecoder(r)
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
