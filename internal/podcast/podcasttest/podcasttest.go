// Package podcasttest is a fake OpenAI-compatible provider for podcast
// tests: its chat answers plan an outline and write each segment's
// dialogue as the pipeline asks, and its speech endpoint answers with real
// WAV clips whose length follows the text, so a test can check the
// episode's length by decoding it.
package podcasttest

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
)

// Fake is the provider. Its zero value answers everything well.
type Fake struct {
	// Speeches counts speech calls that were answered.
	Speeches atomic.Int32
	// Chats counts chat calls.
	Chats atomic.Int32

	mu sync.Mutex
	// BadOutlines is how many outline answers are not JSON before good
	// ones come.
	BadOutlines int
	// BrokenSpeech, when > 0, is the speech call (1-based, counting every
	// call) answered once with audio that is neither WAV nor MP3.
	BrokenSpeech int
	// HangSpeech, when > 0, is the speech call that is held until Release
	// is closed (then answered) or the client goes away.
	HangSpeech  int
	speechCalls int
	// Hung is closed when the held call arrives.
	Hung    chan struct{}
	Release chan struct{}
}

// New returns a fake.
func New() *Fake { return &Fake{Hung: make(chan struct{}), Release: make(chan struct{})} }

// ClipSeconds is how long the clip of a line is.
func ClipSeconds(text string) float64 { return 0.2 + 0.05*float64(len(strings.Fields(text))) }

// VoiceFormat is the sample rate and channel count of a voice's clips:
// voices differ, as providers do, so the episode is resampled and mixed
// down.
func VoiceFormat(voice string) (rate, channels int) {
	if voice == "alloy" {
		return 48_000, 2
	}
	return 16_000, 1
}

// WAV returns a 16-bit PCM WAV of a tone lasting seconds.
func WAV(rate, channels int, seconds float64) []byte {
	n := int(math.Round(seconds * float64(rate)))
	data := make([]byte, 0, n*channels*2)
	for i := range n {
		v := int16(8000 * math.Sin(2*math.Pi*220*float64(i)/float64(rate)))
		for range channels {
			data = binary.LittleEndian.AppendUint16(data, uint16(v))
		}
	}
	h := make([]byte, 44)
	copy(h, "RIFF")
	binary.LittleEndian.PutUint32(h[4:], uint32(36+len(data)))
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1)
	binary.LittleEndian.PutUint16(h[22:], uint16(channels))
	binary.LittleEndian.PutUint32(h[24:], uint32(rate))
	binary.LittleEndian.PutUint32(h[28:], uint32(rate*channels*2))
	binary.LittleEndian.PutUint16(h[32:], uint16(channels*2))
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], uint32(len(data)))
	return append(h, data...)
}

// Duration is the length of a 16-bit PCM WAV file whose data chunk
// follows its 16-byte format chunk, as the episode's audio does.
func Duration(wav []byte) (float64, error) {
	if len(wav) < 44 || string(wav[:4]) != "RIFF" || string(wav[8:16]) != "WAVEfmt " || string(wav[36:40]) != "data" ||
		binary.LittleEndian.Uint16(wav[20:22]) != 1 || binary.LittleEndian.Uint16(wav[34:36]) != 16 {
		return 0, fmt.Errorf("not a plain 16-bit PCM WAV (%d bytes)", len(wav))
	}
	channels, rate := int(binary.LittleEndian.Uint16(wav[22:24])), int(binary.LittleEndian.Uint32(wav[24:28]))
	size := int(binary.LittleEndian.Uint32(wav[40:44]))
	if size != len(wav)-44 {
		return 0, fmt.Errorf("the header counts %d bytes of data, the file has %d", size, len(wav)-44)
	}
	return float64(size/2/channels) / float64(rate), nil
}

func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	switch {
	case strings.HasSuffix(r.URL.Path, "/audio/speech"):
		f.speak(w, r, body)
	case strings.HasSuffix(r.URL.Path, "/chat/completions"):
		f.chat(w, body)
	default:
		http.NotFound(w, r)
	}
}

func (f *Fake) speak(w http.ResponseWriter, r *http.Request, body []byte) {
	var req struct{ Input, Voice string }
	_ = json.Unmarshal(body, &req)
	f.mu.Lock()
	f.speechCalls++
	n := f.speechCalls
	broken, hang := f.BrokenSpeech == n, f.HangSpeech == n
	f.mu.Unlock()
	if hang {
		close(f.Hung)
		select {
		case <-r.Context().Done():
			return
		case <-f.Release:
		}
	}
	if broken {
		w.Header().Set("Content-Type", "audio/ogg")
		io.WriteString(w, "OggS-not-what-was-asked")
		return
	}
	f.Speeches.Add(1)
	rate, channels := VoiceFormat(req.Voice)
	w.Header().Set("Content-Type", "audio/wav")
	w.Write(WAV(rate, channels, ClipSeconds(req.Input)))
}

func (f *Fake) chat(w http.ResponseWriter, body []byte) {
	f.Chats.Add(1)
	var req struct {
		Model    string
		Messages []struct{ Role, Content string }
	}
	_ = json.Unmarshal(body, &req)
	system, user := "", ""
	for _, m := range req.Messages {
		if m.Role == "system" {
			system = m.Content
		} else if m.Role == "user" && user == "" {
			user = m.Content
		}
	}
	var answer string
	switch {
	case strings.Contains(system, "plan episodes"):
		f.mu.Lock()
		bad := f.BadOutlines > 0
		if bad {
			f.BadOutlines--
		}
		f.mu.Unlock()
		if bad {
			answer = "Sure! Here is a plan: intro, middle, end."
		} else {
			answer = "```json\n" + `{"segments":[{"name":"Opening","description":"Who we are and what the material is.","size":"short"},` +
				`{"name":"Core","description":"The main ideas.","size":"medium"},{"name":"Wrap-up","description":"What to take away.","size":"short"}]}` + "\n```"
		}
	default:
		names := []string{"Host"}
		if _, rest, ok := strings.Cut(user, "use exactly these names: "); ok {
			line, _, _ := strings.Cut(rest, ")")
			names = strings.Split(line, ", ")
		}
		seg := "a segment"
		if _, rest, ok := strings.Cut(user, "SEGMENT TO WRITE ("); ok {
			seg, _, _ = strings.Cut(rest, ",")
		}
		lines := []map[string]string{
			{"speaker": names[0], "dialogue": "Welcome to part " + seg + " of the show about coral reefs."},
			{"speaker": names[len(names)-1], "dialogue": "Reefs shelter a quarter of all marine species, which still surprises me."},
		}
		b, _ := json.Marshal(map[string]any{"transcript": lines})
		answer = "<think>the listener wants reefs</think>" + string(b)
	}
	content, _ := json.Marshal(answer)
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"id":"c1","object":"chat.completion","created":1,"model":%q,"choices":[{"index":0,`+
		`"message":{"role":"assistant","content":%s},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`,
		req.Model, content)
}
