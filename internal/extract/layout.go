package extract

import (
	"math"
	"sort"
	"strings"

	"github.com/ledongthuc/pdf"
)

// A PDF page is a set of positioned glyphs, in whatever order the producer
// drew them. readingOrder rebuilds the text a person reads:
//
//  1. glyphs on one baseline form a row, sorted left to right;
//  2. a row splits into runs where the gap between glyphs is wider than
//     an em (a column gutter, a table gap); smaller gaps become spaces;
//  3. a run wider than 60% of the text block is a full-width line (a
//     title, a paragraph of a one-column page); between two of them, the
//     narrower runs are split into columns at the x ranges no run covers,
//     and each column is read top to bottom, left column first.
//
// Tables whose cells are separated by gaps wider than the gutter rule are
// read column by column, as most text extractors do.

type glyph struct {
	x, y, w, size float64
	s             string
}

type run struct {
	x0, x1, y, size float64
	text            string
}

// ligatures map the presentation forms fonts use for common letter
// pairs back to the letters, so "ﬁnd" is found by a search for "find".
var ligatures = strings.NewReplacer("ﬀ", "ff", "ﬁ", "fi", "ﬂ", "fl", "ﬃ", "ffi", "ﬄ", "ffl", "ﬅ", "ft", "ﬆ", "st")

func readingOrder(texts []pdf.Text) string {
	gs := make([]glyph, 0, len(texts))
	// The library gives every glyph of a string the string's position when
	// the font has no width table (the standard 14 fonts): the pen is then
	// advanced here by an estimated width, so runs get their real extent.
	var lastX, lastY, penX float64
	for i, t := range texts {
		if t.S == "" {
			continue
		}
		size := math.Abs(t.FontSize)
		if size < 1 || math.IsNaN(size) || math.IsInf(size, 0) {
			size = 10
		}
		w := t.W
		if w <= 0 || math.IsNaN(w) || w > 10*size {
			w = 0.5 * size // fonts without widths: an average glyph
			if t.S == " " || t.S == "i" || t.S == "l" || t.S == "." || t.S == "," {
				w = 0.28 * size
			}
		}
		if math.IsNaN(t.X) || math.IsNaN(t.Y) || math.IsInf(t.X, 0) || math.IsInf(t.Y, 0) {
			continue
		}
		x := t.X
		if t.W <= 0 && i > 0 && t.X == lastX && t.Y == lastY {
			x = penX
		}
		lastX, lastY, penX = t.X, t.Y, x+w
		gs = append(gs, glyph{x, t.Y, w, size, t.S})
	}
	if len(gs) == 0 {
		return ""
	}
	runs := buildRuns(gs)
	return layoutRuns(runs)
}

// buildRuns groups glyphs into rows by baseline and splits rows at wide
// gaps.
func buildRuns(gs []glyph) []run {
	sort.SliceStable(gs, func(i, j int) bool { return gs[i].y > gs[j].y })
	var runs []run
	for start := 0; start < len(gs); {
		// A row: glyphs whose baselines lie within a third of the font size
		// of the row's first glyph.
		end := start + 1
		tol := gs[start].size * 0.35
		for end < len(gs) && gs[start].y-gs[end].y <= tol {
			end++
		}
		row := gs[start:end]
		sort.SliceStable(row, func(i, j int) bool { return row[i].x < row[j].x })
		var b strings.Builder
		cur := run{x0: row[0].x, x1: row[0].x, y: row[0].y, size: row[0].size}
		flush := func() {
			if t := strings.TrimSpace(b.String()); t != "" {
				cur.text = ligatures.Replace(t)
				runs = append(runs, cur)
			}
			b.Reset()
		}
		for i, g := range row {
			if i > 0 {
				gap := g.x - cur.x1
				switch {
				case gap > g.size*1.0:
					flush()
					cur = run{x0: g.x, x1: g.x, y: g.y, size: g.size}
				case gap > g.size*0.15 && !strings.HasSuffix(b.String(), " ") && g.s != " ":
					b.WriteByte(' ')
				}
			}
			if g.s == " " && b.Len() == 0 {
				cur.x0 = g.x + g.w // a leading space does not start the run
			} else {
				b.WriteString(g.s)
			}
			cur.x1 = max(cur.x1, g.x+g.w)
			cur.size = max(cur.size, g.size)
		}
		flush()
		start = end
	}
	return runs
}

// layoutRuns orders runs (sorted top to bottom) into lines and columns.
func layoutRuns(runs []run) string {
	if len(runs) == 0 {
		return ""
	}
	left, right := runs[0].x0, runs[0].x1
	for _, r := range runs {
		left, right = min(left, r.x0), max(right, r.x1)
	}
	width := right - left
	var b strings.Builder
	var segment []run
	flushSegment := func() {
		writeSegment(&b, segment)
		segment = segment[:0]
	}
	for _, r := range runs {
		if width > 0 && r.x1-r.x0 > 0.6*width {
			flushSegment()
			writeLines(&b, []run{r})
			continue
		}
		segment = append(segment, r)
	}
	flushSegment()
	return b.String()
}

// writeSegment writes runs between two full-width lines, column by column.
func writeSegment(b *strings.Builder, seg []run) {
	if len(seg) == 0 {
		return
	}
	// The x ranges covered by some run; the gaps between them are gutters.
	type span struct{ x0, x1 float64 }
	sorted := make([]run, len(seg))
	copy(sorted, seg)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].x0 < sorted[j].x0 })
	var cols []span
	for _, r := range sorted {
		if n := len(cols); n > 0 && r.x0 <= cols[n-1].x1 {
			cols[n-1].x1 = max(cols[n-1].x1, r.x1)
			continue
		}
		cols = append(cols, span{r.x0, r.x1})
	}
	for _, c := range cols {
		var in []run
		for _, r := range seg { // seg is top to bottom
			if r.x0 >= c.x0 && r.x0 <= c.x1 {
				in = append(in, r)
			}
		}
		writeLines(b, in)
	}
}

// writeLines writes runs top to bottom; runs on one baseline share a line,
// and a vertical gap wider than a line and a half starts a paragraph.
func writeLines(b *strings.Builder, rs []run) {
	for i, r := range rs {
		if i > 0 && math.Abs(rs[i-1].y-r.y) <= r.size*0.35 {
			b.WriteString(" " + r.text)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
			if i > 0 && rs[i-1].y-r.y > 1.8*r.size {
				b.WriteByte('\n')
			}
		}
		b.WriteString(r.text)
	}
	if len(rs) > 0 {
		b.WriteByte('\n')
	}
}
