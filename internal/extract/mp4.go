package extract

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// The ISO base media format (MP4, M4A, M4V, MOV) keeps a track's samples
// anywhere in the file and describes them in tables (stsz sizes, stco
// chunk offsets, stsc samples per chunk, stts durations). The audio track
// is taken out by reading those tables and writing the samples, unchanged,
// into new M4A files: no decoding, so it works for AAC whatever its
// profile, and costs one copy of the audio.

type mp4Box struct {
	typ  string
	body []byte
}

// mp4Boxes splits b into boxes; a box whose size runs past b ends the list.
func mp4Boxes(b []byte) []mp4Box {
	var out []mp4Box
	for len(b) >= 8 {
		size := uint64(binary.BigEndian.Uint32(b[:4]))
		typ := string(b[4:8])
		head := uint64(8)
		switch size {
		case 0:
			size = uint64(len(b))
		case 1:
			if len(b) < 16 {
				return out
			}
			size, head = binary.BigEndian.Uint64(b[8:16]), 16
		}
		if size < head || size > uint64(len(b)) {
			return out
		}
		out = append(out, mp4Box{typ, b[head:size]})
		b = b[size:]
	}
	return out
}

func mp4Child(b []byte, typ string) []byte {
	for _, x := range mp4Boxes(b) {
		if x.typ == typ {
			return x.body
		}
	}
	return nil
}

// mp4Path follows a path of container boxes.
func mp4Path(b []byte, path ...string) []byte {
	for _, p := range path {
		if b = mp4Child(b, p); b == nil {
			return nil
		}
	}
	return b
}

// mp4Audio is an audio track: its sample description and its samples.
type mp4Audio struct {
	timescale uint32
	language  uint16
	stsd      []byte // the whole stsd box, copied into every piece
	samples   [][]byte
	durations []uint32
}

// maxMP4Samples bounds the samples and chunks a track may claim (about 12
// hours of AAC at 48 kHz).
const maxMP4Samples = 2_000_000

func readMP4Audio(data []byte) (*mp4Audio, error) {
	moov := mp4Child(data, "moov")
	if moov == nil {
		return nil, fail("The MP4 file has no movie header (moov); it is damaged or still being written.")
	}
	var codecs []string
	for _, t := range mp4Boxes(moov) {
		if t.typ != "trak" {
			continue
		}
		hdlr := mp4Path(t.body, "mdia", "hdlr")
		if len(hdlr) < 12 || string(hdlr[8:12]) != "soun" {
			continue
		}
		stbl := mp4Path(t.body, "mdia", "minf", "stbl")
		stsd := mp4Child(stbl, "stsd")
		if len(stsd) < 16 {
			continue
		}
		codec := string(stsd[12:16])
		if codec != "mp4a" {
			codecs = append(codecs, codec)
			continue
		}
		a := &mp4Audio{stsd: box("stsd", stsd)}
		if mdhd := mp4Path(t.body, "mdia", "mdhd"); len(mdhd) >= 24 {
			if mdhd[0] == 1 && len(mdhd) >= 36 {
				a.timescale, a.language = binary.BigEndian.Uint32(mdhd[20:24]), binary.BigEndian.Uint16(mdhd[32:34])
			} else {
				a.timescale, a.language = binary.BigEndian.Uint32(mdhd[12:16]), binary.BigEndian.Uint16(mdhd[20:22])
			}
		}
		if err := a.readSamples(data, stbl); err != nil {
			return nil, err
		}
		return a, nil
	}
	if len(codecs) > 0 {
		return nil, unsupported("The file's audio is %q, not AAC; only AAC audio in MP4, M4A and MOV files can be read here. Convert it to MP3 or M4A (AAC).", codecs[0])
	}
	return nil, fail("The file has no audio track, so there is nothing to transcribe.")
}

func (a *mp4Audio) readSamples(data, stbl []byte) error {
	damaged := fail("The MP4 file's sample tables are damaged.")
	stsz := mp4Child(stbl, "stsz")
	if len(stsz) < 12 {
		return damaged
	}
	fixed := binary.BigEndian.Uint32(stsz[4:8])
	count := int(binary.BigEndian.Uint32(stsz[8:12]))
	if count > maxMP4Samples || (fixed == 0 && len(stsz) < 12+4*count) {
		return damaged
	}
	size := func(i int) int {
		if fixed != 0 {
			return int(fixed)
		}
		return int(binary.BigEndian.Uint32(stsz[12+4*i:]))
	}
	var offsets []uint64
	if stco := mp4Child(stbl, "stco"); len(stco) >= 8 {
		n := int(binary.BigEndian.Uint32(stco[4:8]))
		if n > maxMP4Samples || len(stco) < 8+4*n {
			return damaged
		}
		for i := range n {
			offsets = append(offsets, uint64(binary.BigEndian.Uint32(stco[8+4*i:])))
		}
	} else if co64 := mp4Child(stbl, "co64"); len(co64) >= 8 {
		n := int(binary.BigEndian.Uint32(co64[4:8]))
		if n > maxMP4Samples || len(co64) < 8+8*n {
			return damaged
		}
		for i := range n {
			offsets = append(offsets, binary.BigEndian.Uint64(co64[8+8*i:]))
		}
	}
	stsc := mp4Child(stbl, "stsc")
	if len(stsc) < 8 || len(offsets) == 0 {
		return damaged
	}
	nsc := int(binary.BigEndian.Uint32(stsc[4:8]))
	if nsc == 0 || len(stsc) < 8+12*nsc {
		return damaged
	}
	entry := func(i int) (first, per int) {
		e := stsc[8+12*i:]
		return int(binary.BigEndian.Uint32(e[0:4])), int(binary.BigEndian.Uint32(e[4:8]))
	}
	sample, idx := 0, 0
	for c := range offsets {
		// The samples per chunk of the last entry that starts at or
		// before this chunk (chunks are numbered from 1; entries ascend).
		for idx+1 < nsc {
			if first, _ := entry(idx + 1); first > c+1 {
				break
			}
			idx++
		}
		per := 0
		if first, p := entry(idx); first <= c+1 {
			per = p
		}
		off := offsets[c]
		for k := 0; k < per && sample < count; k++ {
			n := size(sample)
			if n < 0 || off+uint64(n) > uint64(len(data)) {
				return damaged
			}
			a.samples = append(a.samples, data[off:off+uint64(n)])
			off += uint64(n)
			sample++
		}
	}
	if len(a.samples) == 0 {
		return fail("The file's audio track is empty.")
	}
	// Durations, one per sample.
	stts := mp4Child(stbl, "stts")
	if len(stts) >= 8 {
		n := int(binary.BigEndian.Uint32(stts[4:8]))
		for i := 0; i < n && 8+8*i+8 <= len(stts) && len(a.durations) < len(a.samples); i++ {
			cnt := int(binary.BigEndian.Uint32(stts[8+8*i:]))
			d := binary.BigEndian.Uint32(stts[12+8*i:])
			for k := 0; k < cnt && len(a.durations) < len(a.samples); k++ {
				a.durations = append(a.durations, d)
			}
		}
	}
	for len(a.durations) < len(a.samples) {
		a.durations = append(a.durations, 1024) // an AAC frame
	}
	if a.timescale == 0 {
		a.timescale = 44100
	}
	return nil
}

// pieces writes the track as M4A files of at most maxBytes each.
func (a *mp4Audio) pieces(base string, maxBytes int) ([]AudioPiece, error) {
	const overhead = 1024 // the boxes around the samples, besides stsz and stts
	var out []AudioPiece
	for start := 0; start < len(a.samples); {
		end, size := start, overhead+len(a.stsd)
		for end < len(a.samples) && size+len(a.samples[end])+12 <= maxBytes {
			size += len(a.samples[end]) + 12
			end++
		}
		if end == start {
			return nil, fail("An audio sample is larger than the speech-to-text model accepts.")
		}
		out = append(out, AudioPiece{Data: a.m4a(start, end), Filename: fmt.Sprintf("%s-%03d.m4a", base, len(out)+1), ContentType: "audio/mp4"})
		start = end
	}
	if len(out) == 1 {
		out[0].Filename = base + ".m4a"
	}
	return out, nil
}

// m4a writes samples [from, to) as an M4A file.
func (a *mp4Audio) m4a(from, to int) []byte {
	n := to - from
	var duration uint32
	for _, d := range a.durations[from:to] {
		duration += d
	}
	u32 := func(vs ...uint32) []byte {
		b := make([]byte, 4*len(vs))
		for i, v := range vs {
			binary.BigEndian.PutUint32(b[4*i:], v)
		}
		return b
	}
	unity := u32(0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000)
	mvhd := cat(u32(0, 0, 0, a.timescale, duration, 0x00010000), []byte{1, 0}, make([]byte, 10), unity, make([]byte, 24), u32(2))
	tkhd := cat(u32(7, 0, 0, 1, 0, duration), make([]byte, 8), []byte{0, 0, 0, 0, 1, 0, 0, 0}, unity, u32(0, 0))
	mdhd := cat(u32(0, 0, 0, a.timescale, duration), []byte{byte(a.language >> 8), byte(a.language), 0, 0})
	hdlr := cat(u32(0, 0), []byte("soun"), make([]byte, 12), []byte("SoundHandler\x00"))
	var stts []byte
	runs := 0
	for i := from; i < to; {
		j := i
		for j < to && a.durations[j] == a.durations[i] {
			j++
		}
		stts = append(stts, u32(uint32(j-i), a.durations[i])...)
		runs++
		i = j
	}
	sizes := make([]byte, 0, 4*n)
	var payload int
	for _, s := range a.samples[from:to] {
		sizes = append(sizes, u32(uint32(len(s)))...)
		payload += len(s)
	}
	ftyp := box("ftyp", cat([]byte("M4A "), u32(0), []byte("M4A mp42isom")))
	build := func(mdatAt uint32) []byte {
		stbl := cat(a.stsd,
			box("stts", cat(u32(0, uint32(runs)), stts)),
			box("stsc", u32(0, 1, 1, uint32(n), 1)),
			box("stsz", cat(u32(0, 0, uint32(n)), sizes)),
			box("stco", u32(0, 1, mdatAt)))
		minf := cat(box("smhd", u32(0, 0)), box("dinf", box("dref", cat(u32(0, 1), box("url ", u32(1))))), box("stbl", stbl))
		mdia := cat(box("mdhd", mdhd), box("hdlr", hdlr), box("minf", minf))
		return box("moov", cat(box("mvhd", mvhd), box("trak", cat(box("tkhd", tkhd), box("mdia", mdia)))))
	}
	// The moov's size does not depend on the offset it records.
	moov := build(0)
	moov = build(uint32(len(ftyp) + len(moov) + 8))
	var b bytes.Buffer
	b.Grow(len(ftyp) + len(moov) + 8 + payload)
	b.Write(ftyp)
	b.Write(moov)
	b.Write(u32(uint32(8 + payload)))
	b.WriteString("mdat")
	for _, s := range a.samples[from:to] {
		b.Write(s)
	}
	return b.Bytes()
}

func box(typ string, body []byte) []byte {
	b := make([]byte, 8, 8+len(body))
	binary.BigEndian.PutUint32(b, uint32(8+len(body)))
	copy(b[4:], typ)
	return append(b, body...)
}

func cat(parts ...[]byte) []byte {
	var n int
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
