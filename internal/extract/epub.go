package extract

import (
	"bytes"
	"encoding/xml"
	"net/url"
	"path"

	"golang.org/x/net/html"
)

// epub reads a book's chapters in spine order; the title is the package's
// dc:title.
func (x *job) epub(data []byte) (string, error) {
	c, err := x.openZip(data)
	if err != nil {
		return "", err
	}
	if c.files["META-INF/encryption.xml"] != nil && c.files["META-INF/rights.xml"] != nil {
		return "", fail("The EPUB is protected by DRM and its chapters cannot be read.")
	}
	b, err := c.read("META-INF/container.xml", maxSmallPart)
	if err != nil {
		return "", err
	}
	var container struct {
		Rootfiles []struct {
			Path string `xml:"full-path,attr"`
		} `xml:"rootfiles>rootfile"`
	}
	if b == nil || xml.Unmarshal(b, &container) != nil || len(container.Rootfiles) == 0 {
		return "", fail("The EPUB has no package document (META-INF/container.xml is missing or damaged).")
	}
	opfPath := container.Rootfiles[0].Path
	b, err = c.read(opfPath, maxSmallPart)
	if err != nil {
		return "", err
	}
	var pkg struct {
		Title    []string `xml:"metadata>title"`
		Manifest []struct {
			ID   string `xml:"id,attr"`
			Href string `xml:"href,attr"`
		} `xml:"manifest>item"`
		Spine []struct {
			IDRef string `xml:"idref,attr"`
		} `xml:"spine>itemref"`
	}
	if b == nil || xml.Unmarshal(b, &pkg) != nil {
		return "", fail("The EPUB's package document (%s) is missing or damaged.", opfPath)
	}
	hrefs := map[string]string{}
	for _, it := range pkg.Manifest {
		href, err := url.PathUnescape(it.Href)
		if err != nil {
			href = it.Href
		}
		hrefs[it.ID] = path.Join(path.Dir(opfPath), href)
	}
	for _, it := range pkg.Spine {
		if err := x.page(); err != nil {
			return "", err
		}
		part := hrefs[it.IDRef]
		if part == "" {
			continue
		}
		// A chapter is parsed whole; one larger than the text limit
		// could not be kept anyway.
		ch, err := c.read(part, int64(x.lim.Text))
		if err != nil {
			return "", err
		}
		doc, err := html.Parse(bytes.NewReader(ch))
		if err != nil {
			continue
		}
		if err := x.out.paragraph(blockText(doc)); err != nil {
			return "", err
		}
	}
	title := ""
	if len(pkg.Title) > 0 {
		title = pkg.Title[0]
	}
	return title, nil
}
