package provider

import (
	"reflect"
	"strings"
)

// Settings are a credential's provider-specific fields, named as the API
// names them (and as the database columns are named). One struct serves
// the credential record, its inputs and the client configuration, so a
// field is declared once; which fields a provider's form shows is its
// Spec's Fields.
type Settings struct {
	BaseURL           string `json:"base_url"`
	Endpoint          string `json:"endpoint"`
	APIVersion        string `json:"api_version"`
	EndpointLLM       string `json:"endpoint_llm"`
	EndpointEmbedding string `json:"endpoint_embedding"`
	EndpointSTT       string `json:"endpoint_stt"`
	EndpointTTS       string `json:"endpoint_tts"`
	Project           string `json:"project"`
	Location          string `json:"location"`
	CredentialsPath   string `json:"credentials_path"`
	// NumCtx is Ollama's context window; 0 is unset.
	NumCtx int `json:"num_ctx"`
}

// settingFields maps each text setting's API name to its field index.
var settingFields, settingNames = func() (map[string]int, []string) {
	t := reflect.TypeFor[Settings]()
	index, names := map[string]int{}, []string{}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Type.Kind() != reflect.String {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		index[name] = i
		names = append(names, name)
	}
	return index, names
}()

// SettingNames lists the text settings by API name, in declaration order.
func SettingNames() []string { return append([]string(nil), settingNames...) }

// Get returns the text setting named name ("" for an unknown name).
func (s *Settings) Get(name string) string {
	i, ok := settingFields[name]
	if !ok {
		return ""
	}
	return reflect.ValueOf(s).Elem().Field(i).String()
}

// Set changes the text setting named name and reports whether it exists.
func (s *Settings) Set(name, value string) bool {
	i, ok := settingFields[name]
	if ok {
		reflect.ValueOf(s).Elem().Field(i).SetString(value)
	}
	return ok
}

// URLSettings are the settings that hold URLs, which are checked against
// the egress policy before they are stored.
func URLSettings() []string {
	return []string{"base_url", "endpoint", "endpoint_llm", "endpoint_embedding", "endpoint_stt", "endpoint_tts"}
}
