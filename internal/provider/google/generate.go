package google

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/open-notebook/open-notebook/internal/provider"
)

// defaultVoice is the prebuilt voice used when the caller names none; it is
// also the original's test voice for google and vertex.
const defaultVoice = "Kore"

type content struct {
	Role  string `json:"role,omitempty"`
	Parts []part `json:"parts"`
}

type part struct {
	Text       string `json:"text,omitempty"`
	InlineData *blob  `json:"inlineData,omitempty"`
	// Thought marks a thinking model's reasoning, which is not the answer.
	Thought bool `json:"thought,omitempty"`
}

// blob is inline media; encoding/json carries Data as base64, as the API
// expects.
type blob struct {
	MimeType string `json:"mimeType"`
	Data     []byte `json:"data"`
}

type generateRequest struct {
	Contents          []content         `json:"contents"`
	SystemInstruction *content          `json:"systemInstruction,omitempty"`
	GenerationConfig  *generationConfig `json:"generationConfig,omitempty"`
}

type generationConfig struct {
	MaxOutputTokens    int           `json:"maxOutputTokens,omitempty"`
	Temperature        *float64      `json:"temperature,omitempty"`
	ResponseModalities []string      `json:"responseModalities,omitempty"`
	SpeechConfig       *speechConfig `json:"speechConfig,omitempty"`
}

type speechConfig struct {
	VoiceConfig struct {
		PrebuiltVoiceConfig struct {
			VoiceName string `json:"voiceName"`
		} `json:"prebuiltVoiceConfig"`
	} `json:"voiceConfig"`
}

type generateResponse struct {
	Candidates []struct {
		Content      content `json:"content"`
		FinishReason string  `json:"finishReason"`
	} `json:"candidates"`
	PromptFeedback struct {
		BlockReason string `json:"blockReason"`
	} `json:"promptFeedback"`
	UsageMetadata struct {
		PromptTokenCount     int `json:"promptTokenCount"`
		CandidatesTokenCount int `json:"candidatesTokenCount"`
		ThoughtsTokenCount   int `json:"thoughtsTokenCount"`
	} `json:"usageMetadata"`
	ModelVersion string `json:"modelVersion"`
}

// text joins the answer's text parts, leaving out thoughts.
func (r generateResponse) text() string {
	var b strings.Builder
	for _, p := range r.Candidates[0].Content.Parts {
		if !p.Thought {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

// generate posts body to {model}:generateContent and returns an answer that
// has at least one candidate.
func (c *Client) generate(ctx context.Context, model string, body generateRequest) (generateResponse, error) {
	var doc generateResponse
	if err := c.Call(ctx, http.MethodPost, c.modelURL(modelPath(model), "generateContent"), body, &doc); err != nil {
		return doc, err
	}
	if len(doc.Candidates) == 0 {
		if reason := doc.PromptFeedback.BlockReason; reason != "" {
			return doc, &provider.Error{Provider: c.name, Status: provider.StatusError,
				Message: "the provider blocked the prompt (" + reason + ")"}
		}
		return doc, provider.Malformed(c.name, errors.New("the answer has no candidates"))
	}
	return doc, nil
}

// chatRequest is the generateContent body for req. System messages become
// the system instruction; assistant turns are the API's "model" role.
func chatRequest(req provider.ChatRequest) generateRequest {
	var body generateRequest
	for _, m := range req.Messages {
		switch m.Role {
		case "system":
			if body.SystemInstruction == nil {
				body.SystemInstruction = &content{}
			}
			body.SystemInstruction.Parts = append(body.SystemInstruction.Parts, part{Text: m.Content})
		case "assistant":
			body.Contents = append(body.Contents, content{Role: "model", Parts: []part{{Text: m.Content}}})
		default:
			body.Contents = append(body.Contents, content{Role: "user", Parts: []part{{Text: m.Content}}})
		}
	}
	if req.MaxTokens > 0 || req.Temperature != nil {
		body.GenerationConfig = &generationConfig{MaxOutputTokens: req.MaxTokens, Temperature: req.Temperature}
	}
	return body
}

// Chat posts to {model}:generateContent.
func (c *Client) Chat(ctx context.Context, req provider.ChatRequest) (provider.ChatResponse, error) {
	body := chatRequest(req)
	doc, err := c.generate(ctx, req.Model, body)
	if err != nil {
		return provider.ChatResponse{}, err
	}
	model := doc.ModelVersion
	if model == "" {
		model = req.Model
	}
	return provider.ChatResponse{
		Content:     doc.text(),
		Model:       model,
		InputTokens: doc.UsageMetadata.PromptTokenCount,
		// Thinking tokens are billed as output.
		OutputTokens: doc.UsageMetadata.CandidatesTokenCount + doc.UsageMetadata.ThoughtsTokenCount,
	}, nil
}

// ChatStream posts to {model}:streamGenerateContent?alt=sse, which answers
// with server-sent events, each a generateContent answer holding the next
// piece of text. The stream has no terminator of its own: it is complete
// once a candidate carries its finishReason. The usage arrives with the
// chunks, the last count being the total. A chunk with an "error" member is
// the API failing midway.
func (c *Client) ChatStream(ctx context.Context, req provider.ChatRequest, emit func(provider.Delta) error) (provider.ChatResponse, error) {
	s, err := c.caller.Stream(ctx, provider.Request{Method: http.MethodPost,
		URL:  c.modelURL(modelPath(req.Model), "streamGenerateContent") + "?alt=sse",
		JSON: chatRequest(req), Header: provider.AcceptsStream()})
	if err != nil {
		return provider.ChatResponse{}, err
	}
	defer s.Close()
	answer := provider.NewAnswer(emit)
	answer.Model = req.Model
	for {
		ev, err := s.Event()
		if err != nil {
			return answer.Response(), err
		}
		var chunk struct {
			generateResponse
			Error *struct {
				Code int `json:"code"`
			} `json:"error"`
		}
		if err := json.Unmarshal(ev.Data, &chunk); err != nil {
			return answer.Response(), s.Malformed(err)
		}
		if chunk.Error != nil {
			status := provider.StatusForHTTP(chunk.Error.Code)
			if status == provider.StatusOK {
				status = provider.StatusError
			}
			return answer.Response(), s.FailWith(status, ev.Data)
		}
		if reason := chunk.PromptFeedback.BlockReason; reason != "" && len(chunk.Candidates) == 0 {
			return answer.Response(), s.Fail(provider.StatusError, "the provider blocked the prompt ("+reason+")")
		}
		if chunk.ModelVersion != "" {
			answer.Model = chunk.ModelVersion
		}
		if u := chunk.UsageMetadata; u.PromptTokenCount > 0 || u.CandidatesTokenCount > 0 {
			// Thinking tokens are billed as output.
			answer.InputTokens, answer.OutputTokens = u.PromptTokenCount, u.CandidatesTokenCount+u.ThoughtsTokenCount
		}
		if len(chunk.Candidates) == 0 {
			continue
		}
		for _, p := range chunk.Candidates[0].Content.Parts {
			if !p.Thought {
				if err := answer.Add(p.Text); err != nil {
					return answer.Response(), err
				}
			}
		}
		if r := chunk.Candidates[0].FinishReason; r != "" && r != "FINISH_REASON_UNSPECIFIED" {
			return answer.Response(), nil
		}
	}
}

// Speak asks a TTS model for audio through generateContent. Gemini answers
// with raw PCM (audio/L16), which is wrapped in a WAV header so the result
// plays anywhere.
func (c *Client) Speak(ctx context.Context, req provider.SpeechRequest) (provider.Speech, error) {
	voice := req.Voice
	if voice == "" {
		voice = defaultVoice
	}
	config := &generationConfig{ResponseModalities: []string{"AUDIO"}, SpeechConfig: &speechConfig{}}
	config.SpeechConfig.VoiceConfig.PrebuiltVoiceConfig.VoiceName = voice
	body := generateRequest{
		Contents:         []content{{Role: "user", Parts: []part{{Text: req.Text}}}},
		GenerationConfig: config,
	}
	doc, err := c.generate(ctx, req.Model, body)
	if err != nil {
		return provider.Speech{}, err
	}
	for _, p := range doc.Candidates[0].Content.Parts {
		if p.InlineData != nil && len(p.InlineData.Data) > 0 {
			return c.speech(*p.InlineData)
		}
	}
	return provider.Speech{}, provider.Malformed(c.name, errors.New("the answer holds no audio"))
}

func (c *Client) speech(b blob) (provider.Speech, error) {
	mediaType, params, err := mime.ParseMediaType(b.MimeType)
	if err != nil {
		return provider.Speech{}, provider.Malformed(c.name, err)
	}
	if mediaType != "audio/l16" && mediaType != "audio/pcm" {
		return provider.Speech{Audio: b.Data, ContentType: b.MimeType}, nil
	}
	rate, channels := 24000, 1
	if r, err := strconv.Atoi(params["rate"]); err == nil && r > 0 {
		rate = r
	}
	if n, err := strconv.Atoi(params["channels"]); err == nil && n > 0 {
		channels = n
	}
	return provider.Speech{Audio: wav(b.Data, rate, channels), ContentType: "audio/wav"}, nil
}

// wav prefixes 16-bit PCM samples with a canonical 44-byte WAV header.
// Gemini labels its samples audio/L16 but sends them little-endian, which is
// the byte order WAV wants (Google's own samples write them straight into a
// WAV file).
func wav(pcm []byte, rate, channels int) []byte {
	const bitsPerSample = 16
	blockAlign := channels * bitsPerSample / 8
	h := make([]byte, 44, 44+len(pcm))
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], uint32(36+len(pcm)))
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16) // size of the fmt chunk
	binary.LittleEndian.PutUint16(h[20:], 1)  // PCM
	binary.LittleEndian.PutUint16(h[22:], uint16(channels))
	binary.LittleEndian.PutUint32(h[24:], uint32(rate))
	binary.LittleEndian.PutUint32(h[28:], uint32(rate*blockAlign))
	binary.LittleEndian.PutUint16(h[32:], uint16(blockAlign))
	binary.LittleEndian.PutUint16(h[34:], bitsPerSample)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], uint32(len(pcm)))
	return append(h, pcm...)
}

// Transcribe sends the audio inline to {model}:generateContent with an
// instruction to transcribe it.
func (c *Client) Transcribe(ctx context.Context, req provider.TranscriptionRequest) (string, error) {
	prompt := "Transcribe this audio. Answer with the transcript only."
	if req.Language != "" {
		prompt += " The speech is in the language with ISO 639-1 code " + req.Language + "."
	}
	body := generateRequest{Contents: []content{{Role: "user", Parts: []part{
		{Text: prompt},
		{InlineData: &blob{MimeType: audioType(req), Data: req.Audio}},
	}}}}
	doc, err := c.generate(ctx, req.Model, body)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(doc.text()), nil
}

// audioType is the request's content type, else one guessed from the file
// name. Go's MIME table knows no audio types and the system's varies, so
// the few formats Gemini accepts are named here.
func audioType(req provider.TranscriptionRequest) string {
	if req.ContentType != "" {
		return req.ContentType
	}
	switch strings.ToLower(path.Ext(req.Filename)) {
	case ".mp3":
		return "audio/mp3"
	case ".flac":
		return "audio/flac"
	case ".ogg":
		return "audio/ogg"
	case ".aac":
		return "audio/aac"
	case ".aiff":
		return "audio/aiff"
	default:
		return "audio/wav"
	}
}
