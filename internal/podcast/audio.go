package podcast

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/hajimehoshi/go-mp3"
	"github.com/open-notebook/open-notebook/internal/blob"
)

// An episode's audio is one WAV file: 16-bit PCM, mono, 24,000 samples a
// second (the rate of most speech models), about 2.9 MB a minute. Every
// browser plays it, and it is made here without any program on the
// machine. Each spoken line arrives as WAV (16-bit PCM, any rate and
// channel count) or MP3, whatever the provider sends; it is mixed down to
// mono and resampled to the episode's rate.
const (
	SampleRate = 24_000
	// AudioType is the Content-Type of an episode's audio.
	AudioType = "audio/wav"
	// maxClip bounds one spoken line's audio.
	maxClip = 64 << 20
	// maxEpisodeSamples keeps an episode's WAV under its 4 GiB size field
	// (about 10 hours).
	maxEpisodeSamples = 1 << 30
)

// errUnreadableAudio marks a clip that cannot be read: neither WAV (16-bit
// PCM) nor MP3, or broken.
var errUnreadableAudio = errors.New("the speech model's audio cannot be used")

// decodeClip returns a clip's samples, mono at SampleRate.
func decodeClip(data []byte) ([]int16, error) {
	var (
		samples  []int16
		rate     int
		channels int
		err      error
	)
	switch {
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WAVE":
		samples, rate, channels, err = decodeWAV(data)
	case looksLikeMP3(data):
		samples, rate, channels, err = decodeMP3(data)
	default:
		return nil, fmt.Errorf("%w: it is neither 16-bit PCM WAV nor MP3", errUnreadableAudio)
	}
	if err != nil {
		return nil, err
	}
	return resample(mono(samples, channels), rate, SampleRate), nil
}

func looksLikeMP3(b []byte) bool {
	if len(b) >= 3 && string(b[:3]) == "ID3" {
		return true
	}
	return len(b) >= 2 && b[0] == 0xFF && b[1]&0xE0 == 0xE0
}

// decodeWAV reads a RIFF WAVE file of 16-bit PCM.
func decodeWAV(data []byte) (samples []int16, rate, channels int, err error) {
	r := data[12:]
	var fmtSeen bool
	for len(r) >= 8 {
		id, size := string(r[:4]), int(binary.LittleEndian.Uint32(r[4:8]))
		r = r[8:]
		if size > len(r) {
			// A streamed WAV may leave the data size unset (0xFFFFFFFF):
			// its data runs to the end.
			size = len(r)
		}
		body := r[:size]
		switch id {
		case "fmt ":
			if size < 16 {
				return nil, 0, 0, fmt.Errorf("%w: its format chunk is too short", errUnreadableAudio)
			}
			format, bits := binary.LittleEndian.Uint16(body[0:2]), binary.LittleEndian.Uint16(body[14:16])
			channels, rate = int(binary.LittleEndian.Uint16(body[2:4])), int(binary.LittleEndian.Uint32(body[4:8]))
			// 0xFFFE is WAVE_FORMAT_EXTENSIBLE, PCM in the sub-format.
			if (format != 1 && format != 0xFFFE) || bits != 16 || channels < 1 || channels > 8 || rate < 1000 || rate > 384_000 {
				return nil, 0, 0, fmt.Errorf("%w: a WAV that is not 16-bit PCM (format %d, %d bits, %d channels, %d Hz)", errUnreadableAudio, format, bits, channels, rate)
			}
			fmtSeen = true
		case "data":
			if !fmtSeen {
				return nil, 0, 0, fmt.Errorf("%w: its data comes before its format", errUnreadableAudio)
			}
			samples = make([]int16, len(body)/2)
			for i := range samples {
				samples[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
			}
			return samples, rate, channels, nil
		}
		r = r[min(len(r), size+size%2):]
	}
	return nil, 0, 0, fmt.Errorf("%w: it has no data", errUnreadableAudio)
}

// decodeMP3 decodes MP3 to 16-bit stereo at its own rate.
func decodeMP3(data []byte) ([]int16, int, int, error) {
	d, err := mp3.NewDecoder(bytes.NewReader(data))
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%w: its MP3 cannot be decoded (%v)", errUnreadableAudio, err)
	}
	pcm, err := io.ReadAll(io.LimitReader(d, maxClip*16))
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%w: its MP3 cannot be decoded (%v)", errUnreadableAudio, err)
	}
	samples := make([]int16, len(pcm)/2)
	for i := range samples {
		samples[i] = int16(binary.LittleEndian.Uint16(pcm[2*i:]))
	}
	return samples, d.SampleRate(), 2, nil
}

func mono(s []int16, channels int) []int16 {
	if channels == 1 {
		return s
	}
	out := make([]int16, len(s)/channels)
	for i := range out {
		sum := 0
		for c := range channels {
			sum += int(s[i*channels+c])
		}
		out[i] = int16(sum / channels)
	}
	return out
}

// resample converts by linear interpolation, which is plenty for speech.
func resample(s []int16, from, to int) []int16 {
	if from == to || len(s) == 0 {
		return s
	}
	n := int(int64(len(s)) * int64(to) / int64(from))
	out := make([]int16, n)
	step := float64(from) / float64(to)
	for i := range out {
		pos := float64(i) * step
		j := int(pos)
		if j >= len(s)-1 {
			out[i] = s[len(s)-1]
			continue
		}
		frac := pos - float64(j)
		out[i] = int16(math.Round(float64(s[j])*(1-frac) + float64(s[j+1])*frac))
	}
	return out
}

// wavHeader is the 44-byte header of a mono 16-bit PCM WAV of n samples.
func wavHeader(n int) []byte {
	h := make([]byte, 44)
	data := uint32(n * 2)
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], 36+data)
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1) // PCM
	binary.LittleEndian.PutUint16(h[22:], 1) // mono
	binary.LittleEndian.PutUint32(h[24:], SampleRate)
	binary.LittleEndian.PutUint32(h[28:], SampleRate*2)
	binary.LittleEndian.PutUint16(h[32:], 2)
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], data)
	return h
}

// combine decodes each stored clip in order and stores them as one WAV at
// dst, whole or not at all, made in a temporary local file first (the
// header needs the length). It returns the episode's length in samples.
func combine(ctx context.Context, files blob.Store, dst string, clips []string) (int, error) {
	tmp, err := os.CreateTemp("", ".audio-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	w := bufio.NewWriterSize(tmp, 1<<16)
	if _, err := w.Write(wavHeader(0)); err != nil {
		return 0, err
	}
	n := 0
	for i, clip := range clips {
		data, err := readClip(ctx, files, clip)
		if err != nil {
			return 0, err
		}
		samples, err := decodeClip(data)
		if err != nil {
			return 0, fmt.Errorf("line %d: %w", i+1, err)
		}
		if n += len(samples); n > maxEpisodeSamples {
			return 0, errors.New("the episode is longer than a WAV file can hold")
		}
		buf := make([]byte, 2*len(samples))
		for j, v := range samples {
			binary.LittleEndian.PutUint16(buf[2*j:], uint16(v))
		}
		if _, err := w.Write(buf); err != nil {
			return 0, err
		}
	}
	if err := w.Flush(); err != nil {
		return 0, err
	}
	if _, err := tmp.WriteAt(wavHeader(n), 0); err != nil {
		return 0, err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	return n, files.Put(ctx, dst, tmp)
}

func readClip(ctx context.Context, files blob.Store, path string) ([]byte, error) {
	f, err := files.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxClip))
}
