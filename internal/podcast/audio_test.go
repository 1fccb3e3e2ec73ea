package podcast

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/open-notebook/open-notebook/internal/blob"
	"github.com/open-notebook/open-notebook/internal/podcast/podcasttest"
)

// Clips of any rate and channel count become mono at the episode's rate,
// keeping their length; combining them gives an episode as long as its
// clips together.
func TestClipsAreConvertedAndCombined(t *testing.T) {
	dir := t.TempDir()
	var clips []string
	var want float64
	for i, c := range []struct {
		rate, channels int
		seconds        float64
	}{{24_000, 1, 0.5}, {16_000, 1, 0.25}, {48_000, 2, 0.75}, {22_050, 2, 1.1}, {44_100, 1, 0.3}} {
		data := podcasttest.WAV(c.rate, c.channels, c.seconds)
		samples, err := decodeClip(data)
		if err != nil {
			t.Fatalf("clip %d: %v", i, err)
		}
		if got := float64(len(samples)) / SampleRate; got < c.seconds-0.001 || got > c.seconds+0.001 {
			t.Errorf("a %.2f s clip at %d Hz, %d channels lasts %.4f s after conversion", c.seconds, c.rate, c.channels, got)
		}
		path := filepath.Join(dir, filepath.Base(t.Name())+string(rune('a'+i)))
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		clips, want = append(clips, filepath.Base(path)), want+c.seconds
	}
	dst := filepath.Join(dir, "audio.wav")
	n, err := combine(context.Background(), blob.NewDir(dir), "audio.wav", clips)
	if err != nil {
		t.Fatal(err)
	}
	wav, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	got, err := podcasttest.Duration(wav)
	if err != nil {
		t.Fatal(err)
	}
	if got < want-0.005 || got > want+0.005 || float64(n)/SampleRate != got {
		t.Fatalf("episode lasts %.4f s (%d samples), clips %.4f s", got, n, want)
	}
	if len(wav) != 44+2*n {
		t.Fatalf("the file has %d bytes for %d samples", len(wav), n)
	}
}

// Audio that can be neither read nor combined is refused with the reason.
func TestUnreadableClipsAreRefused(t *testing.T) {
	float32WAV := podcasttest.WAV(24_000, 1, 0.1)
	float32WAV[20], float32WAV[34] = 3, 32 // IEEE float, 32 bits
	for name, data := range map[string][]byte{
		"Ogg":                []byte("OggS\x00\x02rest"),
		"empty":              nil,
		"float WAV":          float32WAV,
		"WAV without data":   podcasttest.WAV(24_000, 1, 0.1)[:36],
		"MP3 that is broken": []byte("ID3\x04\x00\x00\x00\x00\x00\x00garbage"),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := decodeClip(data); err == nil {
				t.Fatal("accepted")
			} else if !errors.Is(err, errUnreadableAudio) {
				t.Fatalf("error %v does not say the audio is unreadable", err)
			}
		})
	}
}

// Only paths inside the podcasts folder are served.
func TestAudioPathsStayInTheFolder(t *testing.T) {
	for rel, ok := range map[string]bool{
		"episodes/abc/audio.wav": true,
		"../secrets":             false,
		"/etc/passwd":            false,
		"file:///etc/passwd":     false,
		"episodes/../../x":       false,
		"":                       false,
	} {
		if _, got := contained(rel); got != ok {
			t.Errorf("%q: contained = %v", rel, got)
		}
	}
}

// MP3, what most speech APIs send by default, is decoded and resampled
// like WAV, and mixes with WAV clips in one episode.
func TestMP3ClipsAreDecoded(t *testing.T) {
	mp3, err := os.ReadFile("testdata/speech.mp3")
	if err != nil {
		t.Fatal(err)
	}
	samples, err := decodeClip(mp3)
	if err != nil {
		t.Fatal(err)
	}
	seconds := float64(len(samples)) / SampleRate
	if seconds < 1.9 || seconds > 2.1 {
		t.Fatalf("the two-second MP3 lasts %.3f s", seconds)
	}
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if err := os.WriteFile(a, mp3, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, podcasttest.WAV(16_000, 1, 0.5), 0o600); err != nil {
		t.Fatal(err)
	}
	n, err := combine(context.Background(), blob.NewDir(dir), "audio.wav", []string{filepath.Base(a), filepath.Base(b)})
	if err != nil {
		t.Fatal(err)
	}
	if got := float64(n) / SampleRate; got < seconds+0.499 || got > seconds+0.501 {
		t.Fatalf("MP3 and WAV together last %.3f s, want %.3f", got, seconds+0.5)
	}
}
