package notify

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	tests := []struct {
		attempt int
		want    time.Duration
	}{{1, 30 * time.Second}, {2, time.Minute}, {5, 8 * time.Minute}, {30, 6 * time.Hour}, {0, 30 * time.Second}}
	for _, tt := range tests {
		if got := Backoff(tt.attempt); got != tt.want {
			t.Errorf("Backoff(%d) = %s, want %s", tt.attempt, got, tt.want)
		}
	}
}

func TestSMTPRefusesHeaderInjection(t *testing.T) {
	s := &SMTP{Addr: "127.0.0.1:1", From: "a@b.example"}
	err := s.Send(context.Background(), Message{Recipient: "x@y.example\r\nBcc: all@y.example", Subject: "s"})
	if err == nil || !strings.Contains(err.Error(), "header injection") {
		t.Fatalf("got %v", err)
	}
	err = s.Send(context.Background(), Message{Recipient: "x@y.example", Subject: "hi\nBcc: all@y.example"})
	if err == nil || !strings.Contains(err.Error(), "header injection") {
		t.Fatalf("got %v", err)
	}
}

func TestSign(t *testing.T) {
	a := Sign([]byte("k"), "1700000000", []byte(`{"a":1}`))
	if a != Sign([]byte("k"), "1700000000", []byte(`{"a":1}`)) || len(a) != 64 {
		t.Fatalf("signature not stable hex-SHA256: %s", a)
	}
	if a == Sign([]byte("k"), "1700000001", []byte(`{"a":1}`)) || a == Sign([]byte("k2"), "1700000000", []byte(`{"a":1}`)) {
		t.Fatal("signature ignores the timestamp or the key")
	}
}
