package advisory

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
)

func testKey(t *testing.T, name string) (*openpgp.Entity, string) {
	t.Helper()
	e, err := openpgp.NewEntity(name, "test", name+"@provider.example", nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PublicKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Serialize(w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return e, buf.String()
}

func sign(t *testing.T, e *openpgp.Entity, data []byte) []byte {
	t.Helper()
	var sig bytes.Buffer
	if err := openpgp.ArmoredDetachSign(&sig, e, bytes.NewReader(data), nil); err != nil {
		t.Fatal(err)
	}
	return sig.Bytes()
}

// A provider key configured for a feed makes the signature mandatory: a
// good one passes, a tampered document, a missing signature or another
// signer's signature rejects the document.
func TestFetchOpenPGP(t *testing.T) {
	doc, err := os.ReadFile("../../../shared/testdata/csaf/icsma/icsma-20-317-01.json")
	if err != nil {
		t.Skip("shared test data absent:", err)
	}
	provider, pub := testKey(t, "provider")
	other, _ := testKey(t, "mallory")
	files := map[string][]byte{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	defer srv.Close()
	plain := &Feed{}
	f, err := plain.WithOpenPGPKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	d := FeedDocument{URL: srv.URL + "/doc.json"}
	fetch := func(fd *Feed) error {
		_, err := fd.Fetch(context.Background(), d)
		return err
	}

	files["/doc.json"] = doc
	files["/doc.json.asc"] = sign(t, provider, doc)
	if err := fetch(f); err != nil {
		t.Fatalf("good signature: %v", err)
	}
	files["/doc.json"] = bytes.Replace(doc, []byte("Alaris"), []byte("Alarys"), 1)
	if err := fetch(f); err == nil || !strings.Contains(err.Error(), "does not verify") {
		t.Fatalf("tampered document: %v", err)
	}
	if err := fetch(plain); err != nil {
		t.Fatalf("without a configured key the signature is not required: %v", err)
	}
	files["/doc.json"] = doc
	files["/doc.json.asc"] = sign(t, other, doc)
	if err := fetch(f); err == nil || !strings.Contains(err.Error(), "does not verify") {
		t.Fatalf("signature by another key: %v", err)
	}
	delete(files, "/doc.json.asc")
	if err := fetch(f); err == nil || !strings.Contains(err.Error(), "no OpenPGP signature") {
		t.Fatalf("missing signature: %v", err)
	}
	if _, err := plain.WithOpenPGPKey("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot a key\n-----END PGP PUBLIC KEY BLOCK-----"); err == nil {
		t.Fatal("garbage key accepted")
	}
}
