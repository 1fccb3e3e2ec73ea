package extract

import (
	"encoding/xml"
	"fmt"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"
)

// docx reads a Word document's body in order: paragraphs (headings marked
// as Markdown headings) and tables as Markdown tables.
func (x *job) docx(data []byte) (string, error) {
	c, err := x.openZip(data)
	if err != nil {
		return "", err
	}
	if err := x.page(); err != nil {
		return "", err
	}
	type table struct {
		rows [][]string
		row  []string
		cell []string
	}
	var (
		tables  []*table
		para    strings.Builder
		heading int
		inText  bool
	)
	walk := func(tok xml.Token) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "t":
				inText = true
			case "tab":
				para.WriteByte('\t')
			case "br", "cr":
				para.WriteByte('\n')
			case "pStyle":
				heading = headingLevel(attr(t, "val"))
			case "tbl":
				tables = append(tables, &table{})
			case "tr":
				if n := len(tables); n > 0 {
					tables[n-1].row = nil
				}
			case "tc":
				if n := len(tables); n > 0 {
					tables[n-1].cell = nil
				}
			}
		case xml.CharData:
			if inText {
				para.Write(t)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "t":
				inText = false
			case "p":
				text := strings.TrimSpace(para.String())
				para.Reset()
				level := heading
				heading = 0
				if text == "" {
					return nil
				}
				if n := len(tables); n > 0 {
					tables[n-1].cell = append(tables[n-1].cell, text)
					return nil
				}
				if level > 0 {
					text = strings.Repeat("#", level) + " " + text
				}
				return x.out.paragraph(text)
			case "tc":
				if n := len(tables); n > 0 {
					tb := tables[n-1]
					tb.row = append(tb.row, strings.Join(tb.cell, " "))
				}
			case "tr":
				if n := len(tables); n > 0 {
					tb := tables[n-1]
					tb.rows = append(tb.rows, tb.row)
				}
			case "tbl":
				n := len(tables)
				if n == 0 {
					return nil
				}
				tb := tables[n-1]
				tables = tables[:n-1]
				if n > 1 { // a table in a cell: its text joins the cell
					parent := tables[n-2]
					for _, r := range tb.rows {
						parent.cell = append(parent.cell, strings.Join(r, " "))
					}
					return nil
				}
				return x.out.paragraph(markdownTable(tb.rows))
			}
		}
		return nil
	}
	if err := c.stream("word/document.xml", func(r io.Reader) error { return xmlTokens(r, walk) }); err != nil {
		return "", err
	}
	return c.coreTitle(), nil
}

// headingLevel reads a paragraph style: Title and Heading1..6 become
// Markdown headings.
func headingLevel(style string) int {
	s := strings.ToLower(strings.ReplaceAll(style, " ", ""))
	if s == "title" {
		return 1
	}
	if n, err := strconv.Atoi(strings.TrimPrefix(s, "heading")); err == nil && strings.HasPrefix(s, "heading") && n >= 1 && n <= 6 {
		return n
	}
	return 0
}

func attr(e xml.StartElement, local string) string {
	for _, a := range e.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// markdownTable writes rows as a Markdown table, the first row as header.
func markdownTable(rows [][]string) string {
	width := 0
	for _, r := range rows {
		width = max(width, len(r))
	}
	if width == 0 {
		return ""
	}
	var b strings.Builder
	line := func(r []string) {
		b.WriteByte('|')
		for i := range width {
			cell := ""
			if i < len(r) {
				cell = strings.NewReplacer("|", "\\|", "\n", " ", "\r", " ").Replace(strings.TrimSpace(r[i]))
			}
			b.WriteString(" " + cell + " |")
		}
		b.WriteByte('\n')
	}
	line(rows[0])
	b.WriteString("|" + strings.Repeat(" --- |", width) + "\n")
	for _, r := range rows[1:] {
		line(r)
	}
	return b.String()
}

// pptx reads a presentation's slides in their order, then their notes.
func (x *job) pptx(data []byte) (string, error) {
	c, err := x.openZip(data)
	if err != nil {
		return "", err
	}
	const pres = "ppt/presentation.xml"
	b, err := c.read(pres, maxSmallPart)
	if err != nil {
		return "", err
	}
	var doc struct {
		Slides []struct {
			RID string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sldIdLst>sldId"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		return "", err
	}
	rels, err := c.rels(pres)
	if err != nil {
		return "", err
	}
	for i, s := range doc.Slides {
		if err := x.page(); err != nil {
			return "", err
		}
		part := rels[s.RID]
		if part == "" {
			continue
		}
		var paras []string
		err := c.stream(part, func(r io.Reader) (err error) {
			paras, err = x.drawingText(r)
			return err
		})
		if err != nil {
			return "", err
		}
		if len(paras) == 0 {
			continue
		}
		text := fmt.Sprintf("## Slide %d\n\n%s", i+1, strings.Join(paras, "\n"))
		if notes := c.slideNotes(part); notes != "" {
			text += "\n\nNotes: " + notes
		}
		if err := x.out.paragraph(text); err != nil {
			return "", err
		}
	}
	return c.coreTitle(), nil
}

// slideNotes is the text of a slide's speaker notes.
func (c *container) slideNotes(slide string) string {
	x := c.x
	rels, err := c.rels(slide)
	if err != nil {
		return ""
	}
	for _, target := range rels {
		if strings.Contains(path.Base(target), "notesSlide") {
			var paras []string
			if err := c.stream(target, func(r io.Reader) (err error) {
				paras, err = x.drawingText(r)
				return err
			}); err != nil {
				return ""
			}
			// The notes page repeats the slide number as a field: dropped.
			var kept []string
			for _, p := range paras {
				if _, err := strconv.Atoi(p); err != nil {
					kept = append(kept, p)
				}
			}
			return strings.Join(kept, " ")
		}
	}
	return ""
}

// drawingText is the paragraphs of DrawingML text (a:p holding a:t), no
// more than the text limit.
func (x *job) drawingText(r io.Reader) ([]string, error) {
	var (
		paras  []string
		para   strings.Builder
		inText bool
		size   int
	)
	err := xmlTokens(r, func(tok xml.Token) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "t":
				inText = true
			case "br":
				para.WriteByte('\n')
			}
		case xml.CharData:
			if inText {
				para.Write(t)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "t":
				inText = false
			case "p":
				if s := strings.TrimSpace(para.String()); s != "" {
					paras = append(paras, s)
					size += len(s)
					if size > x.lim.Text {
						return errTextLimit
					}
				}
				para.Reset()
			}
		}
		return nil
	})
	return paras, err
}

// xlsx reads every sheet as a Markdown table under the sheet's name.
func (x *job) xlsx(data []byte) (string, error) {
	c, err := x.openZip(data)
	if err != nil {
		return "", err
	}
	const book = "xl/workbook.xml"
	b, err := c.read(book, maxSmallPart)
	if err != nil {
		return "", err
	}
	var doc struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		return "", err
	}
	rels, err := c.rels(book)
	if err != nil {
		return "", err
	}
	shared, err := x.sharedStrings(c)
	if err != nil {
		return "", err
	}
	for _, s := range doc.Sheets {
		if err := x.page(); err != nil {
			return "", err
		}
		part := rels[s.RID]
		if part == "" {
			continue
		}
		var rows [][]string
		err := c.stream(part, func(r io.Reader) (err error) {
			rows, err = x.sheetRows(r, shared)
			return err
		})
		if err != nil {
			return "", err
		}
		if len(rows) == 0 {
			continue
		}
		if err := x.out.paragraph("## " + s.Name + "\n\n" + markdownTable(rows)); err != nil {
			return "", err
		}
	}
	return c.coreTitle(), nil
}

// sharedStrings reads the workbook's string table, which counts against
// the text limit: every string in it may be shown.
func (x *job) sharedStrings(c *container) (out []string, err error) {
	var (
		cur    strings.Builder
		inText bool
		inRPh  bool // phonetic runs repeat the text in another script
		size   int
	)
	walk := func(tok xml.Token) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				cur.Reset()
			case "t":
				inText = true
			case "rPh":
				inRPh = true
			}
		case xml.CharData:
			if inText && !inRPh {
				cur.Write(t)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "t":
				inText = false
			case "rPh":
				inRPh = false
			case "si":
				out = append(out, cur.String())
				if size += cur.Len() + 16; size > x.lim.Text {
					return errTextLimit
				}
			}
		}
		return nil
	}
	err = c.stream("xl/sharedStrings.xml", func(r io.Reader) error { return xmlTokens(r, walk) })
	return out, err
}

// maxColumns bounds a sheet's width: a cell reference such as XFD1 would
// otherwise make every row 16,384 cells wide.
const maxColumns = 256

// sheetRows reads a worksheet's cells into rows, empty rows dropped and
// cells placed in their columns.
func (x *job) sheetRows(r io.Reader, shared []string) ([][]string, error) {
	type cell struct {
		col int
		val string
	}
	var (
		rows           [][]cell
		row            []cell
		ref, typ, val  string
		inValue, inIS  bool
		nextCol, width int
		size           int
	)
	err := xmlTokens(r, func(tok xml.Token) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "row":
				row, nextCol = nil, 0
			case "c":
				ref, typ, val = attr(t, "r"), attr(t, "t"), ""
			case "v":
				inValue = true
			case "is":
				inIS = true
			case "t":
				if inIS {
					inValue = true
				}
			}
		case xml.CharData:
			if inValue {
				val += string(t)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "v", "t":
				inValue = false
			case "is":
				inIS = false
			case "c":
				col := columnIndex(ref)
				if col < 0 {
					col = nextCol
				}
				nextCol = col + 1
				if typ == "s" {
					if i, err := strconv.Atoi(strings.TrimSpace(val)); err == nil && i >= 0 && i < len(shared) {
						val = shared[i]
					} else {
						val = ""
					}
				} else if typ == "b" {
					val = map[string]string{"1": "TRUE", "0": "FALSE"}[strings.TrimSpace(val)]
				}
				if val = strings.TrimSpace(val); val != "" && col < maxColumns {
					row = append(row, cell{col, val})
					width = max(width, col+1)
					size += len(val) + 4
					if size > x.lim.Text {
						return errTextLimit
					}
				}
			case "row":
				if len(row) > 0 {
					rows = append(rows, row)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Columns that are empty in every row are dropped.
	used := make([]bool, width)
	for _, r := range rows {
		for _, c := range r {
			used[c.col] = true
		}
	}
	index := make([]int, width)
	n := 0
	for i, u := range used {
		index[i] = n
		if u {
			n++
		}
	}
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = make([]string, n)
		sort.Slice(r, func(a, b int) bool { return r[a].col < r[b].col })
		for _, c := range r {
			out[i][index[c.col]] = c.val
		}
	}
	return out, nil
}

// columnIndex reads the column of a cell reference (B7 → 1), -1 if none.
func columnIndex(ref string) int {
	n := 0
	i := 0
	for ; i < len(ref); i++ {
		ch := ref[i]
		if ch >= 'a' && ch <= 'z' {
			ch -= 'a' - 'A'
		}
		if ch < 'A' || ch > 'Z' {
			break
		}
		n = n*26 + int(ch-'A'+1)
		if n > 1<<20 {
			return -1
		}
	}
	if i == 0 {
		return -1
	}
	return n - 1
}
