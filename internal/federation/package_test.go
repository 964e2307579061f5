package federation

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"testing"
)

func TestNewPackageChecksWhatItIsGiven(t *testing.T) {
	tests := []struct {
		name    string
		kind    string
		from    Party
		to      Party
		tlp     string
		payload any
		ok      bool
	}{
		{"request", KindRequest, bka, nca, "TLP:AMBER", map[string]int{"n": 1}, true},
		{"status", KindStatus, nca, bka, "TLP:CLEAR", "preserved", true},
		{"strict amber", KindRequest, bka, nca, "TLP:AMBER+STRICT", []int{1}, true},
		{"unknown kind", "order", bka, nca, "TLP:AMBER", 1, false},
		{"label without prefix", KindRequest, bka, nca, "AMBER", 1, false},
		{"TLP 1.0 white", KindRequest, bka, nca, "TLP:WHITE", 1, false},
		{"label with space", KindRequest, bka, nca, "TLP: AMBER", 1, false},
		{"no sender", KindRequest, Party{}, nca, "TLP:AMBER", 1, false},
		{"sender with padded name", KindRequest, Party{Agency: " BKA", Country: "DE"}, nca, "TLP:AMBER", 1, false},
		{"sender with line break", KindRequest, Party{Agency: "BKA\nFBI", Country: "DE"}, nca, "TLP:AMBER", 1, false},
		{"three-letter country", KindRequest, bka, Party{Agency: "NCA", Country: "GBR"}, "TLP:AMBER", 1, false},
		{"addressee fingerprint malformed", KindRequest, bka, Party{Agency: "NCA", Country: "GB", Fingerprint: "abc"}, "TLP:AMBER", 1, false},
		{"nil payload", KindRequest, bka, nca, "TLP:AMBER", nil, false},
		{"payload that cannot be marshalled", KindRequest, bka, nca, "TLP:AMBER", make(chan int), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewPackage(tt.kind, tt.from, tt.to, tt.tlp, tt.payload)
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				if p.Format != Format || p.Version != Version || p.Kind != tt.kind || p.TLP != tt.tlp {
					t.Errorf("got %+v", p)
				}
				return
			}
			if err == nil {
				t.Fatal("NewPackage accepted it")
			}
			t.Log(err)
		})
	}
}

func TestDecodePayloadIsStrict(t *testing.T) {
	type status struct {
		Request string `json:"request"`
		State   string `json:"state"`
	}
	tests := []struct {
		name    string
		payload string
		ok      bool
	}{
		{"exact", `{"request":"r1","state":"preserved"}`, true},
		{"field missing", `{"request":"r1"}`, true},
		{"unknown field", `{"request":"r1","state":"preserved","note":"x"}`, false},
		{"duplicate field", `{"request":"r1","state":"preserved","state":"refused"}`, false},
		{"case variant", `{"request":"r1","state":"preserved","State":"refused"}`, false},
		{"trailing value", `{"request":"r1"} {}`, false},
		{"wrong type", `{"request":1}`, false},
		{"not JSON", `{`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Package{Payload: json.RawMessage(tt.payload)}
			var got status
			err := p.DecodePayload(&got)
			if tt.ok != (err == nil) {
				t.Fatalf("DecodePayload: %v", err)
			}
			if tt.ok && got.Request != "r1" {
				t.Errorf("got %+v", got)
			}
		})
	}
}

func TestPayloadSurvivesSealAndOpen(t *testing.T) {
	got, err := Open(seal(t, samplePackage(t), keyBKA), partners, "NCA")
	if err != nil {
		t.Fatal(err)
	}
	var r request
	if err := got.DecodePayload(&r); err != nil {
		t.Fatal(err)
	}
	if r.Type != "preservation" || r.Reference != "BKA-2026-0042" {
		t.Errorf("got %+v", r)
	}
}

func TestNewAttachmentRecordsHashAndSize(t *testing.T) {
	data := []byte("evidence")
	sum := sha256.Sum256(data)
	tests := []struct {
		name     string
		withData bool
	}{
		{"hash only", false},
		{"with data", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := NewAttachment("e.txt", data, tt.withData)
			if a.SHA256 != hex.EncodeToString(sum[:]) || a.Size != int64(len(data)) {
				t.Errorf("got %+v", a)
			}
			if (a.Data != nil) != tt.withData {
				t.Errorf("Data carried = %v, want %v", a.Data != nil, tt.withData)
			}
		})
	}
}

func TestSealReportsAttachmentMismatchAsErrAttachment(t *testing.T) {
	p := samplePackage(t)
	p.Attachments[1].Size++
	_, err := Seal(p, keyBKA)
	if !errors.Is(err, ErrAttachment) {
		t.Fatalf("got %v, want ErrAttachment", err)
	}
}
