package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestStringNeverPrintsItsValue(t *testing.T) {
	const key = "sk-live-0123456789abcdef"
	s := New(key)
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	logger.Info("configured", "key", s)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("configured", "key", s)
	js, err := json.Marshal(struct{ Key String }{s})
	if err != nil {
		t.Fatal(err)
	}
	outputs := []string{
		fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s %q", s, s, s, s, s),
		fmt.Sprintf("%+v", struct{ K String }{s}), string(js), logs.String(),
	}
	for _, out := range outputs {
		if strings.Contains(out, key) {
			t.Fatalf("secret leaked in %q", out)
		}
	}
	if s.Reveal() != key {
		t.Fatalf("Reveal() = %q", s.Reveal())
	}
	if New("").Empty() != true || s.Empty() {
		t.Fatal("Empty() is wrong")
	}
}
