package extract

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"path"
	"strings"
)

// Audio and video are not read here but by a speech-to-text model; this
// package finds what a media file is, takes the audio out of the video
// containers pure Go can open, and cuts audio that is too large for the
// provider into pieces it accepts.
//
// What works:
//   - audio sent as it is: WAV, MP3, M4A/MP4 audio (AAC), OGG (Vorbis,
//     Opus), FLAC, WebM audio;
//   - cut into pieces when larger than the provider's limit: WAV (PCM, at
//     sample frames), MP3 (at frame boundaries) and M4A/MP4/MOV (AAC, at
//     samples, each piece a complete M4A);
//   - video: MP4, M4V and QuickTime MOV with an AAC audio track, whose
//     track is written out as an M4A, without decoding;
//   - anything else (WebM/Matroska, AVI, FLV, MPEG-TS video, MP4 whose
//     audio is not AAC, other audio over the limit) is Unsupported, with
//     a reason naming what would work.

// MediaKind is an audio or video container.
type MediaKind string

// Media kinds.
const (
	WAV  MediaKind = "wav"
	MP3  MediaKind = "mp3"
	MP4  MediaKind = "mp4" // MP4, M4A, M4V, MOV: the ISO base media format
	OGG  MediaKind = "ogg"
	FLAC MediaKind = "flac"
	WebM MediaKind = "webm" // WebM and Matroska
	AVI  MediaKind = "avi"
)

// Media lists the audio and video files a server with a speech-to-text
// model reads, for capabilities.
var Media = []FormatInfo{
	{"audio", []string{".mp3", ".wav", ".m4a", ".ogg", ".oga", ".opus", ".flac", ".weba"},
		[]string{"audio/mpeg", "audio/wav", "audio/mp4", "audio/ogg", "audio/flac", "audio/webm"}},
	{"video", []string{".mp4", ".m4v", ".mov"}, []string{"video/mp4", "video/quicktime"}},
}

// SniffMedia reports whether data is audio or video, and which container.
func SniffMedia(data []byte) (MediaKind, bool) {
	switch {
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WAVE":
		return WAV, true
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "AVI ":
		return AVI, true
	case bytes.HasPrefix(data, []byte("ID3")) || len(data) > 2 && data[0] == 0xFF && data[1]&0xE0 == 0xE0 && data[1]&0x06 != 0:
		return MP3, true
	case len(data) >= 12 && string(data[4:8]) == "ftyp" && isImageBrand(string(data[8:12])):
		return "", false
	case len(data) >= 12 && (string(data[4:8]) == "ftyp" || string(data[4:8]) == "moov" || string(data[4:8]) == "mdat" || string(data[4:8]) == "wide"):
		return MP4, true
	case bytes.HasPrefix(data, []byte("OggS")):
		return OGG, true
	case bytes.HasPrefix(data, []byte("fLaC")):
		return FLAC, true
	case bytes.HasPrefix(data, []byte{0x1A, 0x45, 0xDF, 0xA3}):
		return WebM, true
	}
	return "", false
}

var typeOf = map[MediaKind]string{OGG: "audio/ogg", FLAC: "audio/flac", WebM: "audio/webm"}

// isImageBrand tells HEIF and AVIF images, which share the MP4 box format.
func isImageBrand(b string) bool {
	switch b {
	case "heic", "heix", "hevc", "heim", "heis", "mif1", "msf1", "avif", "avis":
		return true
	}
	return false
}

// AudioPiece is audio ready for a speech-to-text call.
type AudioPiece struct {
	Data        []byte
	Filename    string
	ContentType string
}

// AudioPieces turns a media file into audio pieces of at most maxBytes
// each, in order: the file itself when it is audio that fits, its pieces
// when it is larger, the audio track of a video. Every error is a
// *Failure.
func AudioPieces(data []byte, kind MediaKind, name string, maxBytes int) (pieces []AudioPiece, err error) {
	defer func() {
		if r := recover(); r != nil {
			pieces, err = nil, fail("The %s file is damaged and its audio could not be read.", strings.ToUpper(string(kind)))
		}
	}()
	base := strings.TrimSuffix(path.Base(name), path.Ext(name))
	if base == "" || base == "." || base == "/" {
		base = "audio"
	}
	whole := func(ext, ctype string) []AudioPiece {
		return []AudioPiece{{Data: data, Filename: base + ext, ContentType: ctype}}
	}
	switch kind {
	case WAV:
		if len(data) <= maxBytes {
			return whole(".wav", "audio/wav"), nil
		}
		return splitWAV(data, base, maxBytes)
	case MP3:
		if len(data) <= maxBytes {
			return whole(".mp3", "audio/mpeg"), nil
		}
		return splitMP3(data, base, maxBytes)
	case MP4:
		track, err := readMP4Audio(data)
		if err != nil {
			return nil, err
		}
		return track.pieces(base, maxBytes)
	case OGG, FLAC, WebM:
		if kind == WebM && hasVideoTrack(data) {
			return nil, unsupported(noWebMVideo)
		}
		if len(data) <= maxBytes {
			ext := "." + string(kind)
			return whole(ext, typeOf[kind]), nil
		}
		return nil, unsupported("The %s audio is larger than the %d MB the speech-to-text model accepts, and only WAV, MP3 and M4A audio can be cut into pieces here; convert it to MP3 or M4A.", strings.ToUpper(string(kind)), maxBytes>>20)
	case AVI:
		return nil, unsupported(noAVI)
	}
	return nil, unsupported("This audio or video format is not supported.")
}

// The reasons for the video containers no pure-Go code here can take the
// audio out of.
const (
	noWebMVideo = "Video in WebM or Matroska files cannot be read on this server: only MP4, M4V and MOV video with AAC audio. Upload the audio track (MP3, M4A, WAV) instead."
	noAVI       = "Video in AVI files cannot be read on this server: only MP4, M4V and MOV video with AAC audio. Upload the audio track (MP3, M4A, WAV) instead."
)

// RefuseMedia is a Failure for a file whose first bytes (at least
// HeadSize of them, when the file has that many) show video this server
// can never read, so an upload can be refused before it is stored.
func RefuseMedia(head []byte) error {
	switch kind, _ := SniffMedia(head); {
	case kind == AVI:
		return unsupported(noAVI)
	case kind == WebM && hasVideoTrack(head):
		return unsupported(noWebMVideo)
	}
	return nil
}

// HeadSize is how much of a file RefuseMedia needs to see.
const HeadSize = 64 << 10

// hasVideoTrack reports a Matroska video codec id ("V_...") among the
// track entries, which come before the first cluster.
func hasVideoTrack(data []byte) bool {
	return bytes.Contains(data[:min(len(data), HeadSize)], []byte("V_"))
}

// splitWAV cuts a PCM WAV file into WAV files of whole sample frames.
func splitWAV(data []byte, base string, maxBytes int) ([]AudioPiece, error) {
	var fmtChunk, pcm []byte
	for i := 12; i+8 <= len(data); {
		id := string(data[i : i+4])
		n := int(binary.LittleEndian.Uint32(data[i+4 : i+8]))
		body := data[i+8 : min(len(data), i+8+n)]
		switch id {
		case "fmt ":
			fmtChunk = body
		case "data":
			pcm = body
		}
		i += 8 + n + n%2
		if n < 0 || i < 0 {
			break
		}
	}
	if len(fmtChunk) < 16 || pcm == nil {
		return nil, fail("The WAV file is damaged: it has no format or no data.")
	}
	align := int(binary.LittleEndian.Uint16(fmtChunk[12:14]))
	if align <= 0 {
		align = 1
	}
	header := 12 + 8 + len(fmtChunk) + 8
	per := (maxBytes - header) / align * align
	if per <= 0 {
		return nil, fail("The WAV file's frames are too large to cut.")
	}
	var out []AudioPiece
	for off := 0; off < len(pcm); off += per {
		chunk := pcm[off:min(len(pcm), off+per)]
		var b bytes.Buffer
		b.WriteString("RIFF")
		binary.Write(&b, binary.LittleEndian, uint32(header-8+len(chunk)))
		b.WriteString("WAVEfmt ")
		binary.Write(&b, binary.LittleEndian, uint32(len(fmtChunk)))
		b.Write(fmtChunk)
		b.WriteString("data")
		binary.Write(&b, binary.LittleEndian, uint32(len(chunk)))
		b.Write(chunk)
		out = append(out, AudioPiece{Data: b.Bytes(), Filename: fmt.Sprintf("%s-%03d.wav", base, len(out)+1), ContentType: "audio/wav"})
	}
	return out, nil
}

// splitMP3 cuts an MP3 stream at frame headers (MPEG audio frames are
// independent enough for a decoder to start at any of them).
func splitMP3(data []byte, base string, maxBytes int) ([]AudioPiece, error) {
	start := 0
	if bytes.HasPrefix(data, []byte("ID3")) && len(data) >= 10 {
		// The tag's size is four 7-bit bytes.
		size := int(data[6])<<21 | int(data[7])<<14 | int(data[8])<<7 | int(data[9])
		start = min(len(data), 10+size)
	}
	var out []AudioPiece
	for start < len(data) {
		end := min(len(data), start+maxBytes)
		if end < len(data) {
			// Back up to the last frame sync in the window.
			cut := -1
			for i := end - 2; i > start; i-- {
				if data[i] == 0xFF && data[i+1]&0xE0 == 0xE0 && data[i+1]&0x06 != 0 {
					cut = i
					break
				}
			}
			if cut <= start {
				return nil, fail("The MP3 file is damaged: no frame boundary was found to cut it at.")
			}
			end = cut
		}
		out = append(out, AudioPiece{Data: data[start:end], Filename: fmt.Sprintf("%s-%03d.mp3", base, len(out)+1), ContentType: "audio/mpeg"})
		start = end
	}
	return out, nil
}
