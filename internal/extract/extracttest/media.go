package extracttest

import (
	"bytes"
	_ "embed"
	"encoding/binary"
)

// MP4Video is a QuickTime-style file with a video track and an audio track
// of the given codec ("mp4a" for AAC) whose seven samples lie in three
// chunks between video data, described by two stsc entries. The samples
// are placeholders, not real AAC: what is tested is that they come out of
// the container whole and in order.
func MP4Video(audioCodec string) (data []byte, samples [][]byte) {
	for i := range 7 {
		samples = append(samples, bytes.Repeat([]byte{byte('a' + i)}, 100+i*10))
	}
	ftyp := mp4Box("ftyp", []byte("qt  \x00\x00\x00\x00qt  "))
	// mdat: [video][a0 a1][video][a2 a3 a4][video][a5 a6]
	var mdat bytes.Buffer
	var chunkAt []int
	for _, g := range [][]int{{0, 1}, {2, 3, 4}, {5, 6}} {
		mdat.Write(bytes.Repeat([]byte{'V'}, 333))
		chunkAt = append(chunkAt, mdat.Len())
		for _, i := range g {
			mdat.Write(samples[i])
		}
	}
	var sizes []uint32
	for _, s := range samples {
		sizes = append(sizes, uint32(len(s)))
	}
	esds := mp4Box("esds", append(u32(0), 0x03, 0x19, 0, 1, 0, 0x04, 0x11, 0x40, 0x15))
	stsd := mp4Box("stsd", join(u32(0, 1), mp4Box(audioCodec, join(make([]byte, 28), esds))))
	moov := func(mdatStart int) []byte {
		var offs []uint32
		for _, c := range chunkAt {
			offs = append(offs, uint32(mdatStart+c))
		}
		stbl := join(stsd,
			mp4Box("stts", u32(0, 1, 7, 1024)),
			mp4Box("stsc", u32(0, 2, 1, 2, 1, 2, 3, 1)), // chunk 1: 2 samples; from chunk 2: 3 (the last holds the 2 left)
			mp4Box("stsz", join(u32(0, 0, 7), u32(sizes...))),
			mp4Box("stco", join(u32(0, 3), u32(offs...))))
		audio := mp4Box("trak", mp4Box("mdia", join(mp4Box("mdhd", u32(0, 0, 0, 44100, 7168, 0x55c40000)),
			mp4Box("hdlr", join(u32(0, 0), []byte("soun"), make([]byte, 12), []byte("Sound\x00"))), mp4Box("minf", mp4Box("stbl", stbl)))))
		video := mp4Box("trak", mp4Box("mdia", mp4Box("hdlr", join(u32(0, 0), []byte("vide"), make([]byte, 12), []byte("Video\x00")))))
		return mp4Box("moov", join(mp4Box("mvhd", make([]byte, 100)), video, audio))
	}
	start := len(ftyp) + len(moov(0)) + 8
	return join(ftyp, moov(start), mp4Box("mdat", mdat.Bytes())), samples
}

func u32(vs ...uint32) []byte {
	b := make([]byte, 4*len(vs))
	for i, v := range vs {
		binary.BigEndian.PutUint32(b[4*i:], v)
	}
	return b
}

func mp4Box(typ string, body []byte) []byte {
	b := make([]byte, 8, 8+len(body))
	binary.BigEndian.PutUint32(b, uint32(8+len(body)))
	copy(b[4:], typ)
	return append(b, body...)
}

func join(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// SpeechWAV is a spoken sentence, "Tide pools shelter crabs and sea
// stars.", made with: espeak-ng -s 150 -w speech.wav "Tide pools shelter
// crabs and sea stars." (22,050 Hz, 16-bit mono PCM).
//
//go:embed speech.wav
var SpeechWAV []byte
