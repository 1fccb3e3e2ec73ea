package httpapi_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/config"
	"github.com/open-notebook/open-notebook/internal/extract/extracttest"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
	"github.com/open-notebook/open-notebook/internal/secret"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

// uploadFile posts a file to /api/sources/upload, as the original's
// security guide does with curl -F "file=@document.pdf".
func (e *env) uploadFile(notebookID, name string, content []byte) response {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if notebookID != "" {
		mw.WriteField("notebook_id", notebookID)
	}
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(content)
	mw.Close()
	return e.do("POST", "/api/sources/upload", body.String(), "Content-Type", mw.FormDataContentType())
}

// settled waits for a source's background processing to end and returns
// the source.
func (e *env) settled(id string) map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s := obj(e.t, e.do("GET", "/api/sources/"+id, ""))
		if s["status"] == "completed" || s["status"] == "failed" {
			return s
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("source %s still %v", id, s["status"])
		}
		time.Sleep(30 * time.Millisecond)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

func withLinkServices(youtube, jina, firecrawl string) option {
	return func(c *config.Config) {
		c.YouTubeURL, c.JinaAPIURL, c.FirecrawlAPIURL = youtube, jina, firecrawl
		c.JinaAPIKey, c.FirecrawlAPIKey = secret.New("jina-test-key"), secret.New("fc-test-key")
	}
}

// fakeServices serves a web page, a fake YouTube (watch page and caption
// tracks) and fake Jina and Firecrawl readers, recording the credentials
// the readers were sent.
type fakeServices struct {
	srv   *httptest.Server
	mu    sync.Mutex
	auths []string
}

func newFakeServices(t *testing.T) *fakeServices {
	f := &fakeServices{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/article":
			w.Header().Set("Content-Type", "text/html; charset=iso-8859-1")
			io.WriteString(w, "<html><head><title>Kelp report</title></head><body><nav>Home Shop</nav><article><h1>Kelp forests</h1>"+
				strings.Repeat("<p>Giant kelp grows half a metre a day and shelters sea otters in caf\xe9-cold water.</p>", 5)+"</article></body></html>")
		case r.URL.Path == "/paper.pdf":
			w.Header().Set("Content-Type", "application/pdf")
			w.Write(extracttest.TwoColumnPDF(t, 1, ""))
		case r.URL.Path == "/watch":
			id := r.URL.Query().Get("v")
			tracks := `[]`
			if id == "abcdefghijk" {
				tracks = fmt.Sprintf(`[{"baseUrl":"%[1]s/api/timedtext?v=%[2]s\u0026lang=de","languageCode":"de","kind":"asr","name":{"simpleText":"German (auto)"}},`+
					`{"baseUrl":"%[1]s/api/timedtext?v=%[2]s\u0026lang=pt","languageCode":"pt","name":{"simpleText":"Portuguese"}},`+
					`{"baseUrl":"%[1]s/api/timedtext?v=%[2]s\u0026lang=en","languageCode":"en","name":{"simpleText":"English"}}]`, f.srv.URL, id)
			}
			fmt.Fprintf(w, `<html><head><title>Tide pools explained - YouTube</title></head><body><script>var ytInitialPlayerResponse = {"captions":{"playerCaptionsTracklistRenderer":{"captionTracks":%s}}};</script></body></html>`, tracks)
		case r.URL.Path == "/api/timedtext":
			lang := r.URL.Query().Get("lang")
			fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8" ?><transcript><text start="0" dur="2">[%s] Tide pools form</text><text start="2" dur="2">when the sea &amp;amp; rocks meet.</text></transcript>`, lang)
		case strings.HasPrefix(r.URL.Path, "/jina/"):
			f.record(r.Header.Get("Authorization"))
			fmt.Fprintf(w, `{"code":200,"data":{"title":"Read by Jina","content":"Jina read %s"}}`, strings.TrimPrefix(r.URL.Path, "/jina/"))
		case r.URL.Path == "/firecrawl/v1/scrape":
			f.record(r.Header.Get("Authorization"))
			io.WriteString(w, `{"success":true,"data":{"markdown":"# Firecrawl page\n\nRead by Firecrawl.","metadata":{"title":"Read by Firecrawl"}}}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeServices) record(auth string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.auths = append(f.auths, auth)
}

func TestReadEverySourceType(t *testing.T) {
	fake := newFakeServices(t)
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			e := newEnv(t, engine, withLinkServices(fake.srv.URL, fake.srv.URL+"/jina", fake.srv.URL+"/firecrawl"))
			nb := obj(t, e.do("POST", "/api/notebooks", `{"name":"Shore"}`))["id"].(string)
			files := []struct {
				name, title, first string
				data               []byte
			}{
				{"tides.pdf", "Tide Pools and Their Keepers", "Tide Pools and Their Keepers, page 1", extracttest.TwoColumnPDF(t, 1, "")},
				{"survey.docx", "Shore Survey 2026", "# Field notes", extracttest.DOCX(t)},
				{"talk.pptx", "Tide Pool Talk", "## Slide 1", extracttest.PPTX(t)},
				{"counts.xlsx", "counts.xlsx", "## Counts", extracttest.XLSX(t)},
				{"book.epub", "The Shore Book", "# Chapter One", extracttest.EPUB(t)},
				{"notes.md", "notes.md", "# Enzymes", []byte("# Enzymes\nCatalase speeds reactions.")},
				{"latin.txt", "latin.txt", "Caf\u00e9 cr\u00e8me on the shore, na\u00efve and r\u00e9sum\u00e9d.", []byte("Caf\xe9 cr\xe8me on the shore, na\xefve and r\xe9sum\xe9d.")},
			}
			for _, f := range files {
				r := e.uploadFile(nb, f.name, f.data)
				if r.status != 200 {
					t.Fatalf("%s: %d %s", f.name, r.status, r.body)
				}
				up := obj(t, r)
				if up["command_id"] == nil || fmt.Sprint(up["notebooks"]) != "["+nb+"]" {
					t.Fatalf("%s: not queued for the notebook: %v", f.name, up)
				}
				s := e.settled(up["id"].(string))
				text, _ := s["full_text"].(string)
				if s["status"] != "completed" || s["title"] != f.title || firstLine(text) != f.first {
					t.Fatalf("%s: status %v title %q first line %q (%v)", f.name, s["status"], s["title"], firstLine(text), s["processing_info"])
				}
			}
			if r := e.do("POST", "/api/sources/upload", "", "Content-Type", "multipart/form-data; boundary=x"); r.status < 400 || r.status >= 500 {
				t.Fatalf("upload without a file: %d %s", r.status, r.body)
			}

			bad := []struct {
				name, reason string
				data         []byte
			}{
				{"locked.pdf", "The PDF is password-protected", extracttest.TwoColumnPDF(t, 1, "secret")},
				{"loop.pdf", "page tree loops", extracttest.LoopingPDF()},
				{"photo.pdf", "named as PDF but its content is an image (image/png)", extracttest.PNG()},
				{"bomb.docx", "inflates to more than 150 times its compressed size", extracttest.DOCXBomb(t, 24<<20)},
				{"broken.pdf", "The PDF file is damaged", []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >>\ngarbage")},
			}
			for _, b := range bad {
				s := e.settled(obj(t, e.uploadFile(nb, b.name, b.data))["id"].(string))
				info := fmt.Sprint(s["processing_info"])
				if s["status"] != "failed" || !strings.Contains(info, b.reason) || s["file_available"] != true {
					t.Fatalf("%s: %v %s", b.name, s["status"], info)
				}
				// A failed source can be retried, and fails again the same way.
				if r := e.do("POST", "/api/sources/"+s["id"].(string)+"/retry", ""); r.status != 200 {
					t.Fatalf("retry %s: %d %s", b.name, r.status, r.body)
				}
				if again := e.settled(s["id"].(string)); !strings.Contains(fmt.Sprint(again["processing_info"]), b.reason) {
					t.Fatalf("retry %s: %v", b.name, again["processing_info"])
				}
			}

			link := func(url string) map[string]any {
				t.Helper()
				r := e.do("POST", "/api/sources/json", `{"type":"link","url":"`+url+`","notebook_id":"`+nb+`","async_processing":true}`)
				if r.status != 200 {
					t.Fatalf("link %s: %d %s", url, r.status, r.body)
				}
				return e.settled(obj(t, r)["id"].(string))
			}
			// simple: the page itself, its article only, in its own encoding.
			if r := e.do("PUT", "/api/settings", `{"default_content_processing_engine_url":"simple","youtube_preferred_languages":["fr","pt","en"]}`); r.status != 200 {
				t.Fatalf("settings %d %s", r.status, r.body)
			}
			page := link(fake.srv.URL + "/article")
			if page["title"] != "Kelp report" || !strings.Contains(page["full_text"].(string), "café-cold water") || strings.Contains(page["full_text"].(string), "Home Shop") {
				t.Fatalf("page: %v", page)
			}
			if pdf := link(fake.srv.URL + "/paper.pdf"); !strings.HasPrefix(pdf["full_text"].(string), "Tide Pools and Their Keepers, page 1") {
				t.Fatalf("linked pdf: %v", pdf)
			}
			// YouTube: the first preferred language with captions (pt, not de).
			yt := link("https://www.youtube.com/watch?v=abcdefghijk")
			if yt["status"] != "completed" || yt["title"] != "Tide pools explained" || yt["full_text"] != "[pt] Tide pools form\nwhen the sea & rocks meet." {
				t.Fatalf("youtube: %v", yt)
			}
			none := link("https://youtu.be/zzzzzzzzzzz")
			if none["status"] != "failed" || !strings.Contains(fmt.Sprint(none["processing_info"]), "has no transcript") {
				t.Fatalf("youtube without captions: %v", none)
			}
			// jina and firecrawl, with their keys, through the same guard.
			e.do("PUT", "/api/settings", `{"default_content_processing_engine_url":"jina"}`)
			if j := link(fake.srv.URL + "/article"); j["title"] != "Read by Jina" || j["full_text"] != "Jina read "+fake.srv.URL+"/article" {
				t.Fatalf("jina: %v", j)
			}
			e.do("PUT", "/api/settings", `{"default_content_processing_engine_url":"firecrawl"}`)
			if f := link(fake.srv.URL + "/article"); f["title"] != "Read by Firecrawl" || !strings.Contains(f["full_text"].(string), "Read by Firecrawl.") {
				t.Fatalf("firecrawl: %v", f)
			}
			fake.mu.Lock()
			auths := fmt.Sprint(fake.auths)
			fake.mu.Unlock()
			if !strings.Contains(auths, "Bearer jina-test-key") || !strings.Contains(auths, "Bearer fc-test-key") {
				t.Fatalf("readers were sent %s", auths)
			}
			if strings.Contains(e.logs.String(), "test-key") {
				t.Fatal("a reader's key reached the logs")
			}
			caps := e.do("GET", "/api/capabilities", "")
			if !strings.Contains(caps.body, `"url_engines":["auto","simple","firecrawl","jina"]`) {
				t.Fatalf("capabilities %s", caps.body)
			}
		})
	}
}

// TestTranscribeAudioAndVideo: audio and the audio track of a video reach
// the default speech-to-text model (an OpenAI-style fake that answers with
// what it was sent), and what cannot be read fails with its reason.
func TestTranscribeAudioAndVideo(t *testing.T) {
	stt := providertest.New(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/audio/transcriptions" {
			http.NotFound(w, r)
			return
		}
		f, h, err := r.FormFile("file")
		if err != nil {
			http.Error(w, `{"error":{"message":"no file"}}`, 400)
			return
		}
		audio, _ := io.ReadAll(f)
		kind := "unknown"
		switch {
		case bytes.HasPrefix(audio, []byte("RIFF")) && string(audio[8:12]) == "WAVE":
			kind = "wav"
		case string(audio[4:8]) == "ftyp" && string(audio[8:12]) == "M4A ":
			kind = "m4a"
		}
		fmt.Fprintf(w, `{"text":"heard %s (%s, %d bytes, model %s)"}`, h.Filename, kind, len(audio), r.FormValue("model"))
	})
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			e := newEnv(t, engine, withKey("speech-key"))
			nb := obj(t, e.do("POST", "/api/notebooks", `{"name":"Talks"}`))["id"].(string)

			// Without a speech-to-text model the reason says what to set.
			clip := e.settled(obj(t, e.uploadFile(nb, "speech.wav", extracttest.SpeechWAV))["id"].(string))
			if clip["status"] != "failed" || !strings.Contains(fmt.Sprint(clip["processing_info"]), "need a speech-to-text model") {
				t.Fatalf("no model: %v", clip)
			}
			cred := e.createCredential(`{"name":"stt","provider":"openai","api_key":"sk-test","base_url":"` + stt.URL + `/v1"}`)["id"].(string)
			model := e.createModel("whisper-1", "openai", "speech_to_text", cred)
			if r := e.do("PUT", "/api/models/defaults", `{"default_speech_to_text_model":"`+model+`"}`); r.status != 200 {
				t.Fatalf("defaults %d %s", r.status, r.body)
			}
			e.do("POST", "/api/sources/"+clip["id"].(string)+"/retry", "")
			clip = e.settled(clip["id"].(string))
			if want := fmt.Sprintf("heard speech.wav (wav, %d bytes, model whisper-1)", len(extracttest.SpeechWAV)); clip["full_text"] != want {
				t.Fatalf("clip: %v, want %q", clip["full_text"], want)
			}

			video, _ := extracttest.MP4Video("mp4a")
			mov := e.settled(obj(t, e.uploadFile(nb, "lecture.mov", video))["id"].(string))
			if !strings.HasPrefix(fmt.Sprint(mov["full_text"]), "heard lecture.m4a (m4a, ") {
				t.Fatalf("video: %v %v", mov["full_text"], mov["processing_info"])
			}
			// Video whose audio cannot be taken out here is refused at once.
			if webm := e.uploadFile(nb, "clip.webm", append([]byte{0x1A, 0x45, 0xDF, 0xA3}, []byte("webm V_VP9 A_OPUS")...)); webm.status != 415 ||
				!strings.Contains(webm.body, "Video in WebM or Matroska files cannot be read") {
				t.Fatalf("webm: %d %s", webm.status, webm.body)
			}
			caps := e.do("GET", "/api/capabilities", "")
			if !strings.Contains(caps.body, `"media":[{"format":"audio"`) {
				t.Fatalf("capabilities %s", caps.body)
			}
		})
	}
}

func TestVideoNoCodeHereReadsIsRefusedAtUpload(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			e := newEnv(t, engine)
			nb := obj(t, e.do("POST", "/api/notebooks", `{"name":"Films"}`))["id"].(string)
			avi := append([]byte("RIFF\x00\x10\x00\x00AVI LIST"), bytes.Repeat([]byte{0}, 2048)...)
			mkv := append([]byte{0x1A, 0x45, 0xDF, 0xA3}, []byte("....matroska....\x86\x8fV_MPEG4/ISO/AVC")...)
			for name, content := range map[string][]byte{"clip.avi": avi, "clip.mkv": mkv} {
				r := e.uploadFile(nb, name, content)
				if r.status != 415 || !strings.Contains(r.body, "cannot be read on this server: only MP4, M4V and MOV video with AAC audio") {
					t.Errorf("%s: %d %s", name, r.status, r.body)
				}
			}
			if list := e.do("GET", "/api/sources?notebook_id="+nb, ""); list.body != "[]" {
				t.Fatalf("a refused upload left a source behind: %s", list.body)
			}
			entries, _ := os.ReadDir(e.uploads)
			if len(entries) != 0 {
				t.Fatalf("a refused upload left files behind: %v", entries)
			}
		})
	}
}
