package extract

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/open-notebook/open-notebook/internal/extract/extracttest"
)

func speechClip(testing.TB) []byte { return extracttest.SpeechWAV }

func wavPCM(t testing.TB, b []byte) []byte {
	t.Helper()
	if string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" || int(binary.LittleEndian.Uint32(b[4:8])) != len(b)-8 {
		t.Fatalf("not a well-formed WAV: % x", b[:12])
	}
	i := bytes.Index(b, []byte("data"))
	n := int(binary.LittleEndian.Uint32(b[i+4:]))
	if i+8+n != len(b) {
		t.Fatalf("data chunk of %d bytes in a file of %d", n, len(b))
	}
	return b[i+8:]
}

func TestWAVIsSentWholeOrCut(t *testing.T) {
	clip := speechClip(t)
	kind, ok := SniffMedia(clip)
	if !ok || kind != WAV {
		t.Fatalf("sniffed %q", kind)
	}
	whole, err := AudioPieces(clip, WAV, "uploads/x/clip.wav", 25<<20)
	if err != nil || len(whole) != 1 || !bytes.Equal(whole[0].Data, clip) || whole[0].Filename != "clip.wav" {
		t.Fatalf("%v %d", err, len(whole))
	}
	pieces, err := AudioPieces(clip, WAV, "clip.wav", 40_000)
	if err != nil || len(pieces) != 4 {
		t.Fatalf("%v: %d pieces", err, len(pieces))
	}
	var pcm []byte
	for _, p := range pieces {
		if len(p.Data) > 40_000 || p.ContentType != "audio/wav" {
			t.Fatalf("piece %s of %d bytes", p.Filename, len(p.Data))
		}
		pcm = append(pcm, wavPCM(t, p.Data)...)
	}
	if !bytes.Equal(pcm, wavPCM(t, clip)) {
		t.Fatal("the pieces do not add up to the clip")
	}
}

func TestMP3IsCutAtFrames(t *testing.T) {
	frame := append([]byte{0xFF, 0xFB, 0x90, 0x64}, bytes.Repeat([]byte{0x55}, 413)...)
	mp3 := append([]byte("ID3\x03\x00\x00\x00\x00\x00\x05tag!!"), bytes.Repeat(frame, 100)...)
	pieces, err := AudioPieces(mp3, MP3, "talk.mp3", 10_000)
	if err != nil || len(pieces) != 5 {
		t.Fatalf("%v: %d pieces", err, len(pieces))
	}
	var all []byte
	for _, p := range pieces {
		if !bytes.HasPrefix(p.Data, []byte{0xFF, 0xFB}) || len(p.Data)%len(frame) != 0 {
			t.Fatalf("piece %s does not hold whole frames", p.Filename)
		}
		all = append(all, p.Data...)
	}
	if !bytes.Equal(all, mp3[15:]) {
		t.Fatal("frames lost")
	}
}

func TestMP4VideoAudioTrackBecomesM4A(t *testing.T) {
	video, samples := extracttest.MP4Video("mp4a")
	if k, ok := SniffMedia(video); !ok || k != MP4 {
		t.Fatalf("sniffed %q", k)
	}
	for _, max := range []int{1 << 20, 1800} {
		pieces, err := AudioPieces(video, MP4, "lecture.mov", max)
		if err != nil {
			t.Fatal(err)
		}
		var got [][]byte
		for _, p := range pieces {
			if len(p.Data) > max || p.ContentType != "audio/mp4" || !strings.HasSuffix(p.Filename, ".m4a") {
				t.Fatalf("piece %s of %d bytes", p.Filename, len(p.Data))
			}
			a, err := readMP4Audio(p.Data) // each piece is a complete M4A
			if err != nil {
				t.Fatalf("%s: %v", p.Filename, err)
			}
			if !bytes.Contains(a.stsd, []byte("esds")) || a.timescale != 44100 {
				t.Fatalf("%s lost its sample description", p.Filename)
			}
			got = append(got, a.samples...)
		}
		if len(got) != len(samples) {
			t.Fatalf("max %d: %d samples, want %d", max, len(got), len(samples))
		}
		for i := range got {
			if !bytes.Equal(got[i], samples[i]) {
				t.Fatalf("sample %d differs", i)
			}
		}
		if max < 2000 && len(pieces) < 2 {
			t.Fatalf("max %d: not cut", max)
		}
	}
}

func TestMediaThatCannotBeRead(t *testing.T) {
	ac3, _ := extracttest.MP4Video("ac-3")
	noAudio := box("moov", box("trak", box("mdia", box("hdlr", append(make([]byte, 8), []byte("vide")...)))))
	noAudio = append(box("ftyp", []byte("isom\x00\x00\x00\x00")), noAudio...)
	webm := append([]byte{0x1A, 0x45, 0xDF, 0xA3}, []byte("....webm....V_VP9....A_OPUS")...)
	for _, c := range []struct {
		name        string
		data        []byte
		want        string
		unsupported bool
	}{
		{"ac3.mp4", ac3, `audio is "ac-3", not AAC`, true},
		{"silent.mp4", noAudio, "no audio track", false},
		{"clip.webm", webm, "WebM or Matroska", true},
		{"clip.avi", []byte("RIFF\x00\x00\x00\x00AVI LIST"), "AVI", true},
		{"big.ogg", append([]byte("OggS"), make([]byte, 2000)...), "larger than", true},
		{"cut.mp4", ac3[:60], "no movie header", false},
	} {
		kind, ok := SniffMedia(c.data)
		if !ok {
			t.Fatalf("%s: not media", c.name)
		}
		_, err := AudioPieces(c.data, kind, c.name, 1000)
		f, ok := AsFailure(err)
		if !ok || !strings.Contains(f.Reason, c.want) || f.Unsupported != c.unsupported {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
}

func FuzzAudioPieces(f *testing.F) {
	video, _ := extracttest.MP4Video("mp4a")
	f.Add(video)
	f.Add(speechClip(f)[:4000])
	f.Fuzz(func(t *testing.T, data []byte) {
		kind, ok := SniffMedia(data)
		if !ok {
			return
		}
		pieces, err := AudioPieces(data, kind, "f", 2000)
		if err != nil {
			if _, ok := AsFailure(err); !ok {
				t.Fatalf("not a failure: %v", err)
			}
			return
		}
		for _, p := range pieces {
			if len(p.Data) > 2000 && len(pieces) > 1 {
				t.Fatalf("piece of %d bytes", len(p.Data))
			}
		}
	})
}
