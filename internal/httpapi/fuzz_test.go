package httpapi

import (
	"bytes"
	"errors"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/open-notebook/open-notebook/internal/apperr"
)

// FuzzBindForm feeds the source form binder multipart bodies: one built
// from a fuzzed field name, value and file name, and the raw bytes as a
// body with a fixed boundary. Like FuzzBind, every refusal must be an error
// for users and nothing accepted may hold a NUL.
func FuzzBindForm(f *testing.F) {
	f.Add("type", "upload", "paper.pdf", []byte("--b\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\ntext\r\n--b--\r\n"))
	f.Add("content", "a\x00b", "", []byte("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n\r\n\x00\r\n--b"))
	f.Add("notebooks", `["notebook:a"]`, "../../etc/passwd", []byte("garbage"))
	f.Add("embed", "maybe", "", []byte("--b\r\n\r\n--b--"))
	b, err := newBinder(reflect.TypeFor[sourceFormIn]())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, field, value, filename string, raw []byte) {
		var built bytes.Buffer
		mw := multipart.NewWriter(&built)
		_ = mw.WriteField("type", "text")
		_ = mw.WriteField(field, value)
		if filename != "" {
			fw, _ := mw.CreateFormFile("file", filename)
			_, _ = fw.Write(raw)
		}
		_ = mw.Close()
		for _, body := range []struct {
			data []byte
			ct   string
		}{{built.Bytes(), mw.FormDataContentType()}, {raw, "multipart/form-data; boundary=b"}} {
			r := httptest.NewRequest("POST", "/api/sources", bytes.NewReader(body.data))
			r.Header.Set("Content-Type", body.ct)
			dst := reflect.New(reflect.TypeFor[sourceFormIn]()).Elem()
			err := b.bind(r, dst)
			if r.MultipartForm != nil {
				_ = r.MultipartForm.RemoveAll()
			}
			if err != nil {
				var tooLarge *http.MaxBytesError
				e, ok := apperr.As(err)
				if !ok && !errors.As(err, &tooLarge) {
					t.Fatalf("a refusal that is not for users: %v", err)
				}
				if e != nil && e.Code == apperr.Internal {
					t.Fatalf("an internal error: %v", err)
				}
				continue
			}
			if hasNUL(dst) {
				t.Fatalf("accepted a NUL: %#v", dst.Interface())
			}
		}
	})
}

// FuzzResolveClient checks how a client's address is read behind proxies:
// a forwarded address is believed only from a trusted peer, and whatever
// the headers say, the address is the peer's or one the headers named.
func FuzzResolveClient(f *testing.F) {
	for _, s := range []struct{ remote, xff, proto string }{
		{"10.0.0.2:5000", "203.0.113.7", "https"},
		{"10.0.0.2:5000", "198.51.100.1, 10.0.0.9, 10.0.0.3", "http"},
		{"203.0.113.9:443", "127.0.0.1", "https"},
		{"[::ffff:10.0.0.2]:1", "[2001:db8::1]:80, unknown", "HTTPS, http"},
		{"garbage", "1.2.3.4", ""},
		{"10.0.0.2:5000", ",,,", ""},
	} {
		f.Add(s.remote, s.xff, s.proto)
	}
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	f.Fuzz(func(t *testing.T, remote, xff, proto string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", xff)
		r.Header.Set("X-Forwarded-Proto", proto)
		direct := resolveClient(r, nil)
		if ap, err := netip.ParseAddrPort(remote); err == nil {
			if direct.addr != ap.Addr().Unmap() {
				t.Fatalf("without proxies, %q is read as %v", remote, direct.addr)
			}
		} else if direct.addr.IsValid() {
			t.Fatalf("unparsable peer %q read as %v", remote, direct.addr)
		}
		if direct.https {
			t.Fatal("X-Forwarded-Proto believed from an untrusted peer")
		}
		c := resolveClient(r, trusted)
		if c.addr == direct.addr {
			return
		}
		if !trusted[0].Contains(direct.addr) {
			t.Fatalf("X-Forwarded-For %q believed from the untrusted peer %v", xff, direct.addr)
		}
		named := slices.ContainsFunc(strings.Split(xff, ","), func(h string) bool {
			a, ok := parseHop(strings.TrimSpace(h))
			return ok && a == c.addr
		})
		if !named {
			t.Fatalf("client %v is neither the peer nor named in %q", c.addr, xff)
		}
	})
}
